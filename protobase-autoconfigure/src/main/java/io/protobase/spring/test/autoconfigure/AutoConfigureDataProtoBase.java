package io.protobase.spring.test.autoconfigure;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Imports the auto-configurations of the {@link DataProtoBaseTest @DataProtoBaseTest} slice, listed in
 * {@code META-INF/spring/io.protobase.spring.test.autoconfigure.AutoConfigureDataProtoBase.imports}:
 * ProtoBase, its repositories and template, and Boot's transaction support. Use it on its own to add
 * them to another slice.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ImportAutoConfiguration
public @interface AutoConfigureDataProtoBase {
}
