package io.protobase.spring.autoconfigure;

import io.protobase.Database;
import io.protobase.spring.transaction.ProtoBaseTransactionManager;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionManager;

/**
 * {@code @Transactional} on the default database. Backs off for any transaction manager the
 * application (or another auto-configuration, such as JDBC's) defines: with several, declare a
 * {@link ProtoBaseTransactionManager} bean and name it in {@code @Transactional("...")}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(PlatformTransactionManager.class)
class TransactionManagerConfiguration {

    @Bean
    @ConditionalOnMissingBean(TransactionManager.class)
    ProtoBaseTransactionManager transactionManager(Database database) {
        return new ProtoBaseTransactionManager(database);
    }
}
