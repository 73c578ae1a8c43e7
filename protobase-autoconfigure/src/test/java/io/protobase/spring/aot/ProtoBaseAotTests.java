package io.protobase.spring.aot;

import io.protobase.ObjectSpace;
import io.protobase.spring.data.repository.support.SimpleProtoBaseRepository;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.test.tools.CompileWithForkedClassLoader;
import org.springframework.core.test.tools.TestCompiler;
import org.springframework.javapoet.ClassName;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter under Spring's ahead-of-time processing: an application with repositories is processed
 * as the AOT build plugins do, the generated initializer is compiled and started (the code path of
 * {@code -Dspring.aot.enabled=true}), and its repository round-trips an entity; the hints the starter
 * contributes are part of the generated hints.
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
