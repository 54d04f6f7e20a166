package io.jdpo.data;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;

/**
 * The Python {@code str} methods Hugging Face chat templates call ({@code content.startswith(...)},
 * {@code .split('</think>')}, {@code .strip('\n')}, ...), which Jinjava, resolving methods on
 * Java objects, does not have (or has with Java's meaning: {@code String.split} takes a regex).
 * Resolves method calls on strings only; everything else falls through to Jinjava's resolver.
 */
final class PythonStrings extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name)) return null;
        Object[] a = params == null ? new Object[0] : params;
        Object result = call(s, name, a);
        if (result != NO_SUCH_METHOD) context.setPropertyResolved(true);
        return result == NO_SUCH_METHOD ? null : result;
    }

    private static final Object NO_SUCH_METHOD = new Object();

    private static Object call(String s, String name, Object[] a) {
        return switch (name) {
            case "startswith" -> a.length == 1 ? anyOf(a[0], s::startsWith) : NO_SUCH_METHOD;
            case "endswith" -> a.length == 1 ? anyOf(a[0], s::endsWith) : NO_SUCH_METHOD;
            case "strip" -> a.length <= 1 ? rstrip(lstrip(s, chars(a)), chars(a)) : NO_SUCH_METHOD;
            case "lstrip" -> a.length <= 1 ? lstrip(s, chars(a)) : NO_SUCH_METHOD;
            case "rstrip" -> a.length <= 1 ? rstrip(s, chars(a)) : NO_SUCH_METHOD;
            case "split" -> a.length <= 2 ? split(s, a.length == 0 ? null : (String) a[0], a.length == 2 ? ((Number) a[1]).intValue() : -1) : NO_SUCH_METHOD;
            case "upper" -> a.length == 0 ? s.toUpperCase(java.util.Locale.ROOT) : NO_SUCH_METHOD;
            case "lower" -> a.length == 0 ? s.toLowerCase(java.util.Locale.ROOT) : NO_SUCH_METHOD;
            case "capitalize" -> a.length == 0 ? (s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT)) : NO_SUCH_METHOD;
            case "replace" -> a.length == 2 ? s.replace(String.valueOf(a[0]), String.valueOf(a[1])) : NO_SUCH_METHOD;
            case "find" -> a.length == 1 ? (long) s.indexOf(String.valueOf(a[0])) : NO_SUCH_METHOD;
            case "rfind" -> a.length == 1 ? (long) s.lastIndexOf(String.valueOf(a[0])) : NO_SUCH_METHOD;
            case "count" -> a.length == 1 ? count(s, String.valueOf(a[0])) : NO_SUCH_METHOD;
            case "join" -> a.length == 1 && a[0] instanceof Collection<?> c ? join(s, c) : NO_SUCH_METHOD;
            default -> NO_SUCH_METHOD;
        };
    }

    /** Python's str.isspace for one char: Java's whitespace, the Unicode space separators and NEL. */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** str.strip() with no argument: Python's whitespace at both ends (the {@code trim} filter too). */
    static String strip(String s) {
        return rstrip(lstrip(s, null), null);
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Collection<?> c) {
            for (Object o : c) if (test.test(String.valueOf(o))) return true;
            return false;
        }
        return test.test(String.valueOf(prefixes));
    }

    private static String chars(Object[] a) {
        return a.length == 0 || a[0] == null ? null : String.valueOf(a[0]);
    }

    private static boolean strips(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strips(s.charAt(j - 1), chars)) j--;
        return s.substring(0, j);
    }

    /** str.split: a literal separator, or runs of whitespace (empty ends dropped) without one. */
    private static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0, at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Collection<?> items) {
        List<String> parts = new ArrayList<>();
        for (Object o : items) parts.add(String.valueOf(o));
        return String.join(sep, parts);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
