package io.protobase.spring;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code ```java} block of {@code README.md} and {@code docs/*.md} compiles, against this module's
 * test classpath (the engine, the starter, Spring Data and Boot), by the rule the reader sees in
 * {@code docs/README.md} ("Code in these pages"): a block is a whole source file unless an HTML comment
 * {@code <!-- snippet: ... -->} right above it says it is class members or statements, with the imports
 * and the variables it takes as given. A block that does not compile is a bug in the documentation.
 */
class DocumentationSnippetsTests {

    private static final Pattern DIRECTIVE = Pattern.compile("<!--\\s*snippet:(.*?)-->", Pattern.DOTALL);
    private static final Pattern FENCE = Pattern.compile("^(\\s*)```(\\S*)\\s*$");

    @TempDir
    Path classes;

    @TestFactory
    Stream<DynamicTest> everyJavaBlockOfTheDocumentationCompiles() throws IOException {
        Path root = projectRoot();
        List<Snippet> snippets = new ArrayList<>(snippets(root, root.resolve("README.md")));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            for (Path page : docs.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                snippets.addAll(snippets(root, page));
            }
        }
        assertThat(snippets).as("java blocks found").hasSizeGreaterThan(20);
        Map<Snippet, List<String>> errors = compile(snippets);
        return snippets.stream().map(s -> DynamicTest.dynamicTest(s.location(), () -> assertThat(errors.get(s))
                .as("%s does not compile as written (rule: docs/README.md, \"Code in these pages\"):%n%s",
                        s.location(), s.source())
                .isEmpty()));
    }

    private Map<Snippet, List<String>> compile(List<Snippet> snippets) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Map<JavaFileObject, Snippet> sources = new LinkedHashMap<>();
        for (Snippet s : snippets) {
            sources.put(new Source(s), s);
            for (Snippet used : s.with()) {
                sources.put(new Source(s, used), s);
            }
        }
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT,
                StandardCharsets.UTF_8)) {
            List<String> options = List.of("-proc:none", "-Xmaxerrs", "100000", "-d", classes.toString(),
                    "-classpath", System.getProperty("java.class.path"));
            javac.getTask(null, files, diagnostics, options, null, sources.keySet()).call();
        }
        Map<Snippet, List<String>> errors = new LinkedHashMap<>();
        snippets.forEach(s -> errors.put(s, new ArrayList<>()));
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                assertThat(d.getSource()).as("source of %s", d).isInstanceOf(Source.class);
                Source source = (Source) d.getSource();
                errors.get(sources.get(source)).add(source.describe(d));
            }
        }
        return errors;
    }

    private static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(dir.resolve("docs")) || !Files.exists(dir.resolve("README.md"))) {
            dir = dir.getParent();
            assertThat(dir).as("a parent directory with README.md and docs/").isNotNull();
        }
        return dir;
    }

    /** The {@code java} blocks of {@code page}, with the directive above each, if any. */
    private static List<Snippet> snippets(Path root, Path page) throws IOException {
        List<String> lines = Files.readAllLines(page);
        String name = root.relativize(page).toString().replace('\\', '/');
        List<Snippet> found = new ArrayList<>();
        Map<String, Snippet> byId = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher open = FENCE.matcher(lines.get(i));
            if (!open.matches() || open.group(2).isEmpty()) {
                continue;
            }
            int start = i;
            String indent = open.group(1);
            List<String> body = new ArrayList<>();
            for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                String line = lines.get(i);
                body.add(line.startsWith(indent) ? line.substring(indent.length()) : line.strip());
            }
            if (!open.group(2).equals("java")) {
                continue;
            }
            Directive directive = Directive.above(lines, start);
            List<Snippet> with = new ArrayList<>();
            for (String id : directive.with()) {
                assertThat(byId).as("%s:%d uses snippet '%s', declared above it", name, start + 1, id)
                        .containsKey(id);
                with.add(byId.get(id));
            }
            Snippet s = new Snippet(name, start + 1, directive, String.join("\n", body), with);
            found.add(s);
            if (directive.id() != null) {
                byId.put(directive.id(), s);
            }
        }
        return found;
    }

    /**
     * What the comment above a block says: its form ({@code unit}, the default, {@code members} or
     * {@code statements}), {@code imports}, the variables or fields it takes as {@code given}, its
     * {@code id}, and the earlier blocks of the page it uses ({@code with}).
     */
    private record Directive(String form, List<String> imports, List<String> given, String id,
            List<String> with) {

        static Directive above(List<String> lines, int fence) {
            int end = fence - 1;
            while (end >= 0 && lines.get(end).isBlank()) {
                end--;
            }
            if (end < 0 || !lines.get(end).strip().endsWith("-->")) {
                return new Directive("unit", List.of(), List.of(), null, List.of());
            }
            int begin = end;
            while (begin > 0 && !lines.get(begin).contains("<!--")) {
                begin--;
            }
            Matcher m = DIRECTIVE.matcher(String.join("\n", lines.subList(begin, end + 1)));
            if (!m.find()) {
                return new Directive("unit", List.of(), List.of(), null, List.of());
            }
            Map<String, String> keys = new LinkedHashMap<>();
            String[] parts = m.group(1).strip().split("\n");
            String form = parts[0].strip();
            for (String part : Arrays.asList(parts).subList(1, parts.length)) {
                int colon = part.indexOf(':');
                assertThat(colon).as("'key: value' in the snippet comment: %s", part).isPositive();
                keys.put(part.substring(0, colon).strip(), part.substring(colon + 1).strip());
            }
            assertThat(form).as("form of the snippet comment at line %d", begin + 1)
                    .isIn("unit", "members", "statements");
            assertThat(keys.keySet()).as("keys of the snippet comment at line %d", begin + 1)
                    .isSubsetOf("imports", "given", "id", "with");
            return new Directive(form, split(keys.get("imports"), ","), split(keys.get("given"), ";"),
                    keys.get("id"), split(keys.get("with"), ","));
        }

        private static List<String> split(String value, String separator) {
            if (value == null || value.isBlank()) {
                return List.of();
            }
            return Arrays.stream(value.split(separator)).map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
    }

    private record Snippet(String page, int line, Directive directive, String source, List<Snippet> with) {

        String location() {
            return page + ":" + line;
        }

        /** The package of this block's compilation units: one per block, so blocks never clash. */
        String packageName() {
            return "snippets.p" + page.replaceAll("[^A-Za-z0-9]", "_") + "_" + line;
        }

        /** The block as a compilation unit in {@code pkg}, with its leading lines counted. */
        String unit(String pkg) {
            StringBuilder head = new StringBuilder("package ").append(pkg).append(";");
            directive.imports().forEach(i -> head.append(" import ").append(i).append(";"));
            List<String> lines = new ArrayList<>(source.lines().toList());
            // Import lines opening a block of members or statements belong to the file around it; each
            // keeps its line, blank in the block, so that javac's line numbers stay the page's.
            if (!directive.form().equals("unit")) {
                for (int i = 0; i < lines.size() && (lines.get(i).isBlank() || lines.get(i).startsWith("import "));
                        i++) {
                    head.append(' ').append(lines.get(i).strip());
                    lines.set(i, "");
                }
            }
            String code = lines.stream().map(l -> l.strip().equals("...") ? "" : l.replace("{ ... }", "{ }"))
                    .reduce((a, b) -> a + "\n" + b).orElse("");
            return switch (directive.form()) {
                case "members" -> head + " class Snippet {" + fields() + "\n" + code + "\n}\n";
                case "statements" -> head + " class Snippet { void run(" + String.join(", ", directive.given())
                        + ") throws Exception {\n" + code + "\n}}\n";
                default -> head + "\n" + code + "\n";
            };
        }

        private String fields() {
            StringBuilder fields = new StringBuilder();
            directive.given().forEach(g -> fields.append(' ').append(g).append(';'));
            return fields.toString();
        }
    }

    /**
     * A block as javac reads it; names are irrelevant ({@link #isNameCompatible}), so a block may hold
     * several public types as documentation pages show them.
     */
    private static final class Source extends SimpleJavaFileObject {

        private final Snippet snippet;
        private final Snippet block;
        private final String code;

        Source(Snippet snippet) {
            this(snippet, snippet);
        }

        /** {@code block}'s code in the package of {@code snippet}, which uses it. */
        Source(Snippet snippet, Snippet block) {
            super(URI.create("string:///" + snippet.packageName().replace('.', '/') + "/L" + block.line()
                    + ".java"), Kind.SOURCE);
            this.snippet = snippet;
            this.block = block;
            this.code = block.unit(snippet.packageName());
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }

        @Override
        public boolean isNameCompatible(String simpleName, Kind kind) {
            return kind == Kind.SOURCE;
        }

        /** {@code d} located in the documentation page: the first generated line is the line of the fence. */
        String describe(Diagnostic<? extends JavaFileObject> d) {
            long line = d.getLineNumber() - 1 + block.line();
            return block.page() + ":" + line + (block == snippet ? "" : " (used by " + snippet.location() + ")")
                    + ": " + d.getMessage(Locale.ROOT);
        }
    }
}
