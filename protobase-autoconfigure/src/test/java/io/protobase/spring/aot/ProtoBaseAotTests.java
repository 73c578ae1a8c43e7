package io.protobase.spring.aot;

import io.protobase.ObjectSpace;
import io.protobase.spring.data.repository.support.SimpleProtoBaseRepository;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.boot.SpringApplicationAotProcessor;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.test.tools.CompileWithForkedClassLoader;
import org.springframework.core.test.tools.TestCompiler;
import org.springframework.javapoet.ClassName;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter under Spring's ahead-of-time processing: an application with repositories is processed
 * as the AOT build plugins do, the generated initializer is compiled and started (the code path of
 * {@code -Dspring.aot.enabled=true}), and its repository round-trips an entity; the hints the starter
 * contributes are part of the generated hints. The same runs as a build does it, each step in a JVM
 * of its own, in the slow tier.
 */
class ProtoBaseAotTests {

    private static final String[] PROPERTIES = { "protobase.storage.type=memory" };

    /** Forked: the generated code reaches package-private types of Boot and the starter from their packages. */
    @Test
    @CompileWithForkedClassLoader
    void applicationStartedFromTheGeneratedInitializerRoundTripsThroughItsRepository() {
        TestGenerationContext generation = new TestGenerationContext();
        ClassName initializer;
        try (AnnotationConfigApplicationContext build = new AnnotationConfigApplicationContext()) {
            TestPropertyValues.of(PROPERTIES).applyTo(build);
            build.register(AotApplication.class);
            initializer = new ApplicationContextAotGenerator().processAheadOfTime(build, generation);
        }
        generation.writeGeneratedContent();
        RuntimeHints hints = generation.getRuntimeHints();
        assertThat(RuntimeHintsPredicates.reflection().onType(SimpleProtoBaseRepository.class)
                .withMemberCategory(MemberCategory.INVOKE_DECLARED_CONSTRUCTORS)).accepts(hints);

        TestCompiler.forSystem().with(generation).compile(compiled -> {
            try (GenericApplicationContext app = new GenericApplicationContext()) {
                TestPropertyValues.of(PROPERTIES).applyTo(app);
                @SuppressWarnings("unchecked")
                ApplicationContextInitializer<GenericApplicationContext> generated =
                        compiled.getInstance(ApplicationContextInitializer.class, initializer.toString());
                generated.initialize(app);
                app.refresh();

                assertThat(app.getBean(ObjectSpace.class).storage()).isInstanceOf(MemoryStorage.class);
                BookRepository books = app.getBean(BookRepository.class);
                books.save(new Book("978-0", "Le Guin", 248));
                books.save(new Book("978-1", "Lem", 204));
                assertThat(books.findByAuthor("Le Guin")).containsExactly(new Book("978-0", "Le Guin", 248));
                assertThat(books.findById("978-1")).contains(new Book("978-1", "Lem", 204));
            }
        });
    }

    /**
     * The whole path of an application built ahead of time, in the processes it takes: Spring Boot's
     * AOT processor in a child JVM, as the Maven and Gradle plugins fork it; the generated sources
     * compiled; the application started in another child JVM on its classpath plus the generated
     * classes and resources, with {@code -Dspring.aot.enabled=true}, where it saves and queries books
     * in a file storage. AOT mode refuses to start without the generated initializer, so the start
     * itself shows the generated code ran; no class loader of the test is involved.
     */
    @Test
    @Tag("slow")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void applicationProcessedAheadOfTimeRunsInItsOwnJvmWithTheGeneratedCode(@TempDir Path dir) throws Exception {
        Path sources = Files.createDirectories(dir.resolve("sources"));
        Path resources = Files.createDirectories(dir.resolve("resources"));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        String storage = "--protobase.storage.type=file";

        Child aot = Child.run(dir.resolve("aot.log"), false, List.of(), SpringApplicationAotProcessor.class.getName(),
                AotApplication.class.getName(), sources.toString(), resources.toString(), classes.toString(),
                "io.protobase", "aot-test", storage, "--protobase.storage.file.path=" + dir.resolve("unused"));
        assertThat(aot.exitValue()).as("AOT processing:%n%s", aot.output()).isZero();
        assertThat(sources.resolve(AotApplication.class.getName().replace('.', '/')
                + "__ApplicationContextInitializer.java")).exists();
        assertThat(Files.readString(findOne(resources, "reachability-metadata.json")))
                .contains(SimpleProtoBaseRepository.class.getName());

        compile(sources, classes);

        Path data = dir.resolve("data");
        Child app = Child.run(dir.resolve("app.log"), true, List.of(classes, resources), AotApplication.class.getName(),
                storage, "--protobase.storage.file.path=" + data, "--spring.main.banner-mode=off");
        assertThat(app.exitValue()).as("application:%n%s", app.output()).isZero();
        assertThat(app.output()).contains("generated artifacts used: true", "storage: LeasedFileStorage",
                "by id: Book[isbn=978-1, author=Lem, pages=204]",
                "by author: [Book[isbn=978-0, author=Le Guin, pages=248]]");
        try (Stream<Path> files = Files.list(data)) {
            assertThat(files).as("the data directory").isNotEmpty();
        }
    }

    private static Path findOne(Path dir, String fileName) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> found = files.filter(f -> f.getFileName().toString().equals(fileName)).toList();
            assertThat(found).as("%s under %s", fileName, dir).hasSize(1);
            return found.get(0);
        }
    }

    /** Compiles the generated sources as the build plugins do, against the test classpath. */
    private static void compile(Path sources, Path classes) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(f -> f.toString().endsWith(".java")).toList();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fileManager = javac.getStandardFileManager(diagnostics, Locale.ROOT,
                StandardCharsets.UTF_8)) {
            boolean compiled = javac.getTask(null, fileManager, diagnostics, List.of("-proc:none", "-d",
                    classes.toString(), "-classpath", classes + File.pathSeparator
                            + System.getProperty("java.class.path")), null,
                    fileManager.getJavaFileObjectsFromPaths(files)).call();
            assertThat(compiled).as("generated sources compile: %s", diagnostics.getDiagnostics()).isTrue();
        }
    }

    /** A JVM run to its end on the test classpath, its output in a file. */
    private record Child(int exitValue, String output) {

        static Child run(Path log, boolean aotEnabled, List<Path> extraClasspath, String mainClass, String... args)
                throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-XX:TieredStopAtLevel=1", "-Dspring.aot.enabled=" + aotEnabled, "-cp",
                    Stream.concat(extraClasspath.stream().map(Path::toString),
                            Stream.of(System.getProperty("java.class.path")))
                            .collect(Collectors.joining(File.pathSeparator)), mainClass));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            try {
                return new Child(process.waitFor(), Files.readString(log));
            } finally {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void starterRegistersItsHintsThroughAotFactories() {
        assertThat(SpringFactoriesLoader.forResourceLocation("META-INF/spring/aot.factories")
                .load(RuntimeHintsRegistrar.class)).hasAtLeastOneElementOfType(ProtoBaseRuntimeHints.class);
    }

    @Test
    void hintsCoverTheRepositoryBaseClassTheFailureAnalyzersAndTheConfigurationMetadata() {
        RuntimeHints hints = new RuntimeHints();
        new ProtoBaseRuntimeHints().registerHints(hints, getClass().getClassLoader());
        assertThat(RuntimeHintsPredicates.reflection().onType(SimpleProtoBaseRepository.class)
                .withMemberCategories(MemberCategory.INVOKE_DECLARED_CONSTRUCTORS,
                        MemberCategory.INVOKE_PUBLIC_METHODS)).accepts(hints);
        for (String analyzer : ProtoBaseRuntimeHints.FAILURE_ANALYZERS) {
            assertThat(RuntimeHintsPredicates.reflection().onType(TypeReference.of(analyzer))).accepts(hints);
        }
        assertThat(RuntimeHintsPredicates.resource().forResource("META-INF/spring-configuration-metadata.json"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.resource()
                .forResource("META-INF/additional-spring-configuration-metadata.json")).accepts(hints);
    }
}
