package io.protobase.spring.data.config;

import org.springframework.context.annotation.Import;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Switches on auditing of ProtoBase entities, as {@code @EnableMongoAuditing} does for MongoDB: on
 * every save, Spring Data's {@code @CreatedDate}, {@code @LastModifiedDate}, {@code @CreatedBy} and
 * {@code @LastModifiedBy} properties (or an {@code Auditable} entity's) are set before the entity is
 * converted. An entity counts as new, and gets its {@code @Created…} values, when its {@code @Version}
 * is {@code null} (or {@code 0} for a primitive), or, without a version, when its id is {@code null};
 * give entities with assigned ids a {@code @Version} (or implement {@code Persistable}).
 *
 * <p>Needs the {@code protoBaseMappingContext} bean, which the starter's auto-configuration and
 * {@code @EnableProtoBaseRepositories} both register.
 */
@Inherited
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Import(ProtoBaseAuditingRegistrar.class)
public @interface EnableProtoBaseAuditing {

    /**
     * The name of the {@code AuditorAware} bean that tells who is saving; when empty, the single
     * {@code AuditorAware} bean of the context, if there is one.
     *
     * @return the bean name, or empty
     */
    String auditorAwareRef() default "";

    /**
     * Whether the {@code @CreatedDate} and {@code @LastModifiedDate} properties are set.
     *
     * @return {@code true} to set the dates
     */
    boolean setDates() default true;

    /**
     * Whether creating an entity sets its {@code @LastModified…} properties too, to the same values
     * as its {@code @Created…} ones.
     *
     * @return {@code true} to set them on creation
     */
    boolean modifyOnCreate() default true;

    /**
     * The name of the {@code DateTimeProvider} bean that tells the time; when empty, the current time.
     *
     * @return the bean name, or empty
     */
    String dateTimeProviderRef() default "";
}
