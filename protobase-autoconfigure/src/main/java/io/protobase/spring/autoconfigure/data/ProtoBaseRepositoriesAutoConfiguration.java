package io.protobase.spring.autoconfigure.data;

import io.protobase.Database;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.data.repository.ProtoBaseRepository;
import io.protobase.spring.data.repository.support.ProtoBaseRepositoryFactoryBean;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Import;

/**
 * Auto-configuration of ProtoBase repositories, as Spring Boot does it for its Spring Data stores:
 * repository interfaces in the application's auto-configuration packages become beans, on a
 * {@code ProtoBaseTemplate} over the {@code Database} bean. Switched off by
 * {@code protobase.repositories.enabled=false}, and backs off when the application uses
 * {@code @EnableProtoBaseRepositories} itself. Template and mapping context back off for the
 * application's own beans, and so do its id generator and exception translator.
 */
@AutoConfiguration(after = ProtoBaseAutoConfiguration.class)
@ConditionalOnClass({ ProtoBaseRepository.class, Database.class })
@ConditionalOnBean(Database.class)
@ConditionalOnMissingBean(ProtoBaseRepositoryFactoryBean.class)
@ConditionalOnBooleanProperty(name = "protobase.repositories.enabled", matchIfMissing = true)
@Import({ ProtoBaseDataConfiguration.class, ProtoBaseRepositoriesRegistrar.class })
public final class ProtoBaseRepositoriesAutoConfiguration {
}
