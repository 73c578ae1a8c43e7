package io.protobase.spring.aot;

import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.data.ProtoBaseRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/** A small application with repositories, processed ahead of time by {@link ProtoBaseAotTests}. */
@Configuration(proxyBeanMethods = false)
@AutoConfigurationPackage
@ImportAutoConfiguration({ ProtoBaseAutoConfiguration.class, ProtoBaseRepositoriesAutoConfiguration.class,
        TransactionManagerCustomizationAutoConfiguration.class, TransactionAutoConfiguration.class })
public class AotApplication {
}
