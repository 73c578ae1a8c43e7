package io.protobase.spring.test.autoconfigure;

import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.test.autoconfigure.OverrideAutoConfiguration;
import org.springframework.boot.test.context.filter.annotation.TypeExcludeFilters;
import org.springframework.context.annotation.ComponentScan.Filter;
import org.springframework.core.annotation.AliasFor;
import org.springframework.test.context.BootstrapWith;
import org.springframework.test.context.junit.jupiter.SpringExtension;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test of the application's ProtoBase data layer only, like Boot's {@code @DataMongoTest}: the
 * context holds ProtoBase on memory storage ({@code protobase.storage.type=memory}, whatever the
 * application's configuration files say), the application's repositories, the
 * {@code ProtoBaseTemplate}, the transaction manager and {@code @Transactional} support, and nothing
 * else: no other auto-configuration, and none of the application's {@code @Component},
 * {@code @Service} or {@code @Controller} beans unless {@link #includeFilters()} lets them in.
 *
 * <p>Each test context starts from an empty memory database (a cached context is shared by the test
 * classes with the same configuration, as with any Spring test). To run on another storage, set
 * {@code protobase.storage.type} in {@link #properties()}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@BootstrapWith(DataProtoBaseTestContextBootstrapper.class)
@ExtendWith(SpringExtension.class)
@OverrideAutoConfiguration(enabled = false)
@TypeExcludeFilters(DataProtoBaseTypeExcludeFilter.class)
@AutoConfigureDataProtoBase
@ImportAutoConfiguration
public @interface DataProtoBaseTest {

    /**
     * Properties in the form {@literal key=value} added to the environment before the test runs; they
     * win over the slice's {@code protobase.storage.type=memory}.
     *
     * @return the properties to add
     */
    String[] properties() default {};

    /**
     * Whether the default filtering of {@code @SpringBootApplication}'s component scan applies; by
     * default it lets no component of the application in.
     *
     * @return whether to use the default filters
     */
    boolean useDefaultFilters() default true;

    /**
     * Filters that let otherwise excluded components of the application into the context.
     *
     * @return the include filters
     */
    Filter[] includeFilters() default {};

    /**
     * Filters that keep further components out of the context.
     *
     * @return the exclude filters
     */
    Filter[] excludeFilters() default {};

    /**
     * Auto-configurations of the slice to leave out for this test.
     *
     * @return the auto-configurations to exclude
     */
    @AliasFor(annotation = ImportAutoConfiguration.class, attribute = "exclude")
    Class<?>[] excludeAutoConfiguration() default {};
}
