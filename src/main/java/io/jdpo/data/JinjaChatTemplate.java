package io.jdpo.data;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import io.jdpo.llama.ChatMessage;
import jinjava.javax.el.CompositeELResolver;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's own chat template ({@code tokenizer.chat_template}, Jinja) rendered in Java with
 * Jinjava the way Hugging Face's {@code apply_chat_template} renders it: {@code trim_blocks} (applied
 * by {@link JinjaSource}) and {@code lstrip_blocks} on; {@code messages}, {@code add_generation_prompt}, {@code bos_token} and
 * {@code eos_token} in scope; the helpers templates call ({@code raise_exception},
 * {@code strftime_now}, the {@code tojson} filter with Python's separators, Python's {@code str}
 * methods, {@code trim} as Python's {@code strip}). One known difference: a boolean printed as a
 * value reads "true", not Python's "True" (templates test booleans, they do not print them).
 * llama.cpp's C API only knows its built-in
 * templates, guessed from the Jinja text, so this is what renders the model's template exactly.
 */
public final class JinjaChatTemplate implements ChatRenderer {
    private final String name;
    private final String original;
    private final String source;
    private final Map<String, Object> specialTokens;
    private final Jinjava jinja;

    /**
     * Prepares a template for rendering; errors in the Jinja text surface on the first render.
     *
     * @param name          how messages name the template
     * @param source        the Jinja text
     * @param specialTokens the variables such as bos_token and eos_token (values are token texts)
     */
    public JinjaChatTemplate(String name, String source, Map<String, String> specialTokens) {
        this.name = name;
        this.original = source;
        this.source = JinjaSource.forJinjava(source);
        this.specialTokens = Map.copyOf(specialTokens);
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        this.jinja = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(false).withLstripBlocks(true)
                .withElResolver(resolver)
                // Jinjava would otherwise render "{{ ... }}" found inside a message's text as a template of its own.
                .withNestedInterpretationEnabled(false).build());
        var globals = jinja.getGlobalContext();
        globals.registerFunction(new ELFunctionDefinition("", "raise_exception", Helpers.class, "raiseException", String.class));
        globals.registerFunction(new ELFunctionDefinition("", "strftime_now", Helpers.class, "strftimeNow", String.class));
        globals.registerFilter(new ToJson());
        globals.registerFilter(new Trim());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("role", m.role());
            o.put("content", m.content());
            msgs.add(o);
        }
        Map<String, Object> vars = new HashMap<>(specialTokens);
        vars.put("messages", msgs);
        vars.put("add_generation_prompt", addGenerationPrompt);
        RenderResult r = jinja.renderForResult(source, vars);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                Raised raised = raised(e);
                if (raised == null) throw new TemplateException(name + ", line " + e.getLineno() + ": " + e.getMessage());
                throw new TemplateException(name + ", line " + lineOf(raised.getMessage(), e.getLineno()) + ": the template refuses"
                        + " these messages (raise_exception): " + raised.getMessage());
            }
        }
        return r.getOutput();
    }

    /** The template's own refusal when it called raise_exception, else null. */
    private static Raised raised(TemplateError e) {
        for (Throwable t = e.getException(); t != null; t = t.getCause()) {
            if (t instanceof Raised r) return r;
        }
        return null;
    }

    /**
     * The template line that raises this message: Jinjava's line numbers drift inside branches
     * it skipped, while the message text appears once in the template.
     */
    private int lineOf(String message, int jinjavaLine) {
        int at = original.indexOf(message);
        if (at < 0 || original.indexOf(message, at + 1) >= 0) return jinjavaLine;
        return (int) original.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
    }

    /** What raise_exception throws, to tell the template's own refusals from engine errors. */
    static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message);
        }
    }

    /** Functions templates call, as Hugging Face defines them. */
    public static final class Helpers {
        private Helpers() {
        }

        /**
         * The template's {@code raise_exception(message)}: its refusal of a conversation, reported as
         * a {@link TemplateException} naming the template line.
         *
         * @param message the template's reason
         * @return never returns
         */
        public static String raiseException(String message) {
            throw new Raised(message);
        }

        /**
         * The current local time formatted with Python's strftime codes (templates that write a date).
         *
         * @param format a strftime pattern, e.g. "%d %b %Y"
         * @return the formatted time
         */
        public static String strftimeNow(String format) {
            return StrftimeFormatter.format(ZonedDateTime.now(), format);
        }
    }

    /** {@code tojson} as Hugging Face defines it: json.dumps with ensure_ascii off, Python's ", " and ": " separators. */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            StringBuilder sb = new StringBuilder();
            int indent = args.length > 0 && args[0] != null ? Integer.parseInt(args[0].trim()) : -1;
            write(sb, var, indent, 0);
            return sb.toString();
        }

        private static void write(StringBuilder sb, Object v, int indent, int depth) {
            switch (v) {
                case null -> sb.append("null");
                case Boolean b -> sb.append(b);
                case Number n -> sb.append(n);
                case CharSequence s -> string(sb, s.toString());
                case Map<?, ?> m -> {
                    sb.append('{');
                    int i = 0;
                    for (var e : m.entrySet()) {
                        sb.append(i++ == 0 ? "" : indent < 0 ? ", " : ",");
                        newline(sb, indent, depth + 1);
                        string(sb, String.valueOf(e.getKey()));
                        sb.append(": ");
                        write(sb, e.getValue(), indent, depth + 1);
                    }
                    if (!m.isEmpty()) newline(sb, indent, depth);
                    sb.append('}');
                }
                case Iterable<?> it -> {
                    sb.append('[');
                    int i = 0;
                    for (Object o : it) {
                        sb.append(i++ == 0 ? "" : indent < 0 ? ", " : ",");
                        newline(sb, indent, depth + 1);
                        write(sb, o, indent, depth + 1);
                    }
                    if (i > 0) newline(sb, indent, depth);
                    sb.append(']');
                }
                default -> string(sb, v.toString());
            }
        }

        private static void newline(StringBuilder sb, int indent, int depth) {
            if (indent >= 0) sb.append('\n').append(" ".repeat(indent * depth));
        }

        private static void string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
    }

    /** {@code trim} as Jinja2 defines it: Python's str.strip(), which also removes Unicode spaces. */
    static final class Trim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return var == null ? "" : PythonStrings.strip(var.toString());
        }
    }
}
