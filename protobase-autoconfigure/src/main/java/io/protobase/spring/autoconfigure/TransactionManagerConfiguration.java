package io.protobase.spring.autoconfigure;

import io.protobase.Database;
import io.protobase.spring.transaction.ProtoBaseTransactionManager;
import io.protobase.spring.transaction.TransactionObserver;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizers;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionManager;

/**
 * {@code @Transactional} on the default database, with spring-tx and Boot's transaction module
 * (the starter brings both). Backs off for any transaction manager the application (or another
 * auto-configuration, such as JDBC's) defines: with several, declare a
 * {@link ProtoBaseTransactionManager} bean and name it in {@code @Transactional("...")}.
 *
 * <p>Like Boot's own transaction managers, it is customized by Boot's
 * {@link TransactionManagerCustomizers}: {@code spring.transaction.default-timeout},
 * {@code spring.transaction.rollback-on-commit-failure}, the application's
 * {@code TransactionExecutionListener} beans and its {@code TransactionManagerCustomizer} beans.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({ PlatformTransactionManager.class, TransactionManagerCustomizers.class })
class TransactionManagerConfiguration {

    @Bean
    @ConditionalOnMissingBean(TransactionManager.class)
    ProtoBaseTransactionManager transactionManager(Database database,
            ObjectProvider<TransactionManagerCustomizers> customizers, ObjectProvider<TransactionObserver> observer) {
        ProtoBaseTransactionManager transactionManager = new ProtoBaseTransactionManager(database);
        observer.ifAvailable(transactionManager::setTransactionObserver);
        customizers.ifAvailable(c -> c.customize(transactionManager));
        return transactionManager;
    }
}
