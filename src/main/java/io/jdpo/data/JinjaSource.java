package io.jdpo.data;

import java.util.regex.Pattern;

/**
 * Rewrites the two Jinja constructs of Hugging Face chat templates whose meaning Jinjava does
 * not share into forms it reads the same way as Python's Jinja2: the reversing slice
 * {@code x[::-1]} (not in Jinjava's grammar) becomes {@code x|reverse|list}, and a named argument's
 * value is parenthesized ({@code namespace(n=messages|length - 1)}: Jinjava binds {@code n=}
 * tighter than {@code -}); {@code trim_blocks} and the whitespace marks {@code {{-} and {@code -}}} (which Jinjava ignores
 * on expressions) are applied to the text around the tag. Expressions are only rewritten inside
 * {@code {{ }}} and {@code {% %}}.
 */
final class JinjaSource {
    private static final Pattern REVERSED_SLICE = Pattern.compile("\\[[ \\t]*:[ \\t]*:[ \\t]*-1[ \\t]*]");

    private final String template;
    private final StringBuilder out;

    private JinjaSource(String template) {
        this.template = template;
        this.out = new StringBuilder(template.length() + 64);
    }

    /**
     * The template as Jinjava reads it. Its lines are the template's lines (whitespace removed
     * by a "-" mark leaves its line breaks behind in a comment), so Jinjava's error lines are
     * the template's own.
     */
    static String forJinjava(String template) {
        JinjaSource src = new JinjaSource(template);
        src.rewrite();
        return src.out.toString();
    }

    /** Keeps the line breaks of removed whitespace, inside a comment that renders nothing. */
    private void keepLineBreaks(CharSequence removed) {
        long breaks = removed.chars().filter(c -> c == '\n').count();
        if (breaks > 0) out.append("{#").append("\n".repeat((int) breaks)).append("#}");
    }

    private void rewrite() {
        int i = 0, n = template.length();
        while (i < n) {
            int open = nextTag(template, i);
            if (open < 0) {
                out.append(template, i, n);
                break;
            }
            // "{{-", "{%-", "{#-" remove the whitespace before the tag, "-}}" etc. the whitespace after;
            // Jinjava ignores the marks on expressions, so they are applied here and dropped.
            boolean stripBefore = open + 2 < n && template.charAt(open + 2) == '-';
            String text = template.substring(i, open);
            String kept = stripBefore ? rstrip(text) : text;
            out.append(kept);
            keepLineBreaks(text.substring(kept.length()));
            char kind = template.charAt(open + 1);
            String close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
            int bodyStart = open + 2 + (stripBefore ? 1 : 0);
            int end = tagEnd(template, bodyStart, close, kind != '#');
            boolean stripAfter = end > bodyStart && end < n && template.charAt(end - 1) == '-';
            String body = template.substring(bodyStart, stripAfter ? end - 1 : end);
            out.append(template, open, open + 2);
            out.append(kind == '#' ? body : parenthesizeNamedArguments(REVERSED_SLICE.matcher(body).replaceAll("|reverse|list")));
            if (end < n) out.append(close);
            i = Math.min(n, end + 2);
            if (stripAfter) {
                int from = i;
                while (i < n && PythonStrings.isSpace(template.charAt(i))) i++;
                keepLineBreaks(template.subSequence(from, i));
            } else if (kind != '{' && i < n && template.charAt(i) == '\n') {
                // trim_blocks: the line break after a block or comment tag is dropped (done here,
                // not by Jinjava, whose own trimming loses count of the template's lines).
                i++;
                keepLineBreaks("\n");
            }
        }
    }

    private static String rstrip(String s) {
        int j = s.length();
        while (j > 0 && PythonStrings.isSpace(s.charAt(j - 1))) j--;
        return s.substring(0, j);
    }

    private static int nextTag(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** Where the tag's closing delimiter starts, skipping string literals (end of text if unclosed). */
    private static int tagEnd(String s, int from, String close, boolean quotes) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quotes && (c == '\'' || c == '"')) i = stringEnd(s, i);
            else if (s.startsWith(close, i)) return i;
        }
        return s.length();
    }

    private static int stringEnd(String s, int quote) {
        char q = s.charAt(quote);
        for (int i = quote + 1; i < s.length(); i++) {
            if (s.charAt(i) == '\\') i++;
            else if (s.charAt(i) == q) return i;
        }
        return s.length() - 1;
    }

    /** {@code f(a=x - 1, b=y)} → {@code f(a=(x - 1), b=(y))} inside one tag's expression. */
    static String parenthesizeNamedArguments(String body) {
        StringBuilder out = new StringBuilder(body.length() + 8);
        int depth = 0;
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\'' || c == '"') {
                int e = stringEnd(body, i);
                out.append(body, i, e + 1);
                i = e;
                continue;
            }
            if (c == '(' || c == '[') depth++;
            if (c == ')' || c == ']') depth--;
            out.append(c);
            if (c == '=' && depth > 0 && isNamedArgumentEquals(body, i)) {
                int end = valueEnd(body, i + 1);
                out.append('(').append(body, i + 1, end).append(')');
                i = end - 1;
            }
        }
        return out.toString();
    }

    /** '=' that is neither part of ==, !=, <=, >= nor after something other than an identifier. */
    private static boolean isNamedArgumentEquals(String s, int i) {
        if (i + 1 < s.length() && s.charAt(i + 1) == '=') return false;
        int j = i - 1;
        while (j >= 0 && s.charAt(j) == ' ') j--;
        if (j < 0 || "=!<>".indexOf(s.charAt(j)) >= 0) return false;
        if (!Character.isJavaIdentifierPart(s.charAt(j))) return false;
        while (j >= 0 && Character.isJavaIdentifierPart(s.charAt(j))) j--;
        while (j >= 0 && s.charAt(j) == ' ') j--;
        return j >= 0 && (s.charAt(j) == '(' || s.charAt(j) == ',');
    }

    /** The end of a named argument's value: the ',' or ')' closing it at its own nesting level. */
    private static int valueEnd(String s, int from) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) return i;
                depth--;
            } else if (c == ',' && depth == 0) {
                return i;
            }
        }
        return s.length();
    }
}
