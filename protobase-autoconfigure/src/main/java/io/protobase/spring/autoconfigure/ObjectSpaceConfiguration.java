package io.protobase.spring.autoconfigure;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.storage.SharedStorage;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The object space on the storage, the default database and the lifecycle that closes them. */
@Configuration(proxyBeanMethods = false)
class ObjectSpaceConfiguration {

    @Bean
    @ConditionalOnMissingBean
    ObjectSpace protoBaseObjectSpace(SharedStorage storage, ProtoBaseProperties properties,
            ObjectProvider<ObjectSpaceCustomizer> customizers) {
        ObjectSpace.Builder builder = ObjectSpace.builder(storage).cacheBytes(properties.cache().maxSize().toBytes())
                .groupCommitDelay(properties.commit().groupDelay())
                .historyRetention(properties.history().retention())
                .historyMaxSpaceRatio(properties.history().maxSpaceRatio())
                .compactionInterval(properties.compaction().interval())
                .compactionLiveFraction(properties.compaction().liveFraction())
                .compactionIdleLiveFraction(properties.compaction().idleLiveFraction())
                .compactionMinDeadBytes(properties.compaction().minDeadBytes().toBytes())
                .compactionBytesPerSecond(properties.compaction().bytesPerSecond().toBytes());
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    Database protoBaseDatabase(ObjectSpace space, ProtoBaseProperties properties) {
        return space.getDatabase(properties.database());
    }

    @Bean
    @ConditionalOnMissingBean
    ProtoBaseLifecycle protoBaseLifecycle(ObjectSpace space, ProtoBaseProperties properties) {
        return new ProtoBaseLifecycle(space, properties.shutdown().timeout());
    }
}
