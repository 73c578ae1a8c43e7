package io.protobase.spring.autoconfigure;

import io.protobase.storage.SharedStorage;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The storage of a {@code protobase.storage.type} that none of the per-type configurations built:
 * an empty value, or a spelling the binder reads as a type but the per-type conditions do not
 * recognise. Imported after them, so it is the only one that still finds no storage; it fails the
 * startup with a report rather than leaving the object space without storage or falling back to
 * another backend. Binding the properties is what reports a value that is no type.
 */
@Configuration(proxyBeanMethods = false)
class UnavailableStorageConfiguration {

    @Bean
    @ConditionalOnMissingBean(SharedStorage.class)
    SharedStorage protoBaseStorage(ProtoBaseProperties properties, Environment environment) {
        StorageType type = properties.storage().type();
        String value = environment.getProperty("protobase.storage.type");
        if (value == null || value.isBlank()) {
            // The binder reads an empty value as missing and so as the default, but the conditions do not.
            throw new InvalidProtoBasePropertyException("protobase.storage.type", value, "it is empty",
                    "Set it to memory, file, cloud, cluster or cloud-cluster, or remove it to use the default, file");
        }
        // A spelling the binder accepts for the type but the per-type conditions (which ignore only case) do not.
        throw new InvalidProtoBasePropertyException("protobase.storage.type", value, "it names the " + type
                + " storage in a spelling the storage selection does not recognise",
                "Set it to '" + type.value() + "'");
    }
}
