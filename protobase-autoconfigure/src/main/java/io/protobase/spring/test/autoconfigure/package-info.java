/**
 * The {@code @DataProtoBaseTest} test slice: a test context with ProtoBase on memory storage, the
 * repositories, the template and the transaction manager, and nothing else of the application.
 * Optional: needs spring-boot-test-autoconfigure, spring-test and JUnit Jupiter, which
 * spring-boot-starter-test brings to the application's tests.
 */
package io.protobase.spring.test.autoconfigure;
