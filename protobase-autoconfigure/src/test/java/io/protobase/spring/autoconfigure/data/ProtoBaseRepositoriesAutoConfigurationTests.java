package io.protobase.spring.autoconfigure.data;

import io.protobase.Database;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.repository.ProtoBaseRepository;
import io.protobase.spring.data.repository.config.EnableProtoBaseRepositories;
import io.protobase.spring.data.sample.Customer;
import io.protobase.spring.data.sample.CustomerRepository;
import io.protobase.spring.data.sample.PurchaseOrder;
import io.protobase.spring.data.sample.PurchaseOrderRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Repositories come with the starter, switch off by property, and back off for the application's own setup. */
class ProtoBaseRepositoriesAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    TransactionAutoConfiguration.class, ProtoBaseRepositoriesAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory");

    @Test
    void repositoriesOfTheApplicationPackagesAreBeans() {
        runner.withUserConfiguration(SamplePackage.class).run(c -> {
            assertThat(c).hasSingleBean(ProtoBaseTemplate.class).hasSingleBean(ProtoBaseMappingContext.class)
                    .hasSingleBean(CustomerRepository.class).hasSingleBean(PurchaseOrderRepository.class);
            CustomerRepository customers = c.getBean(CustomerRepository.class);
            customers.save(new Customer("c1", "Ann", Customer.Tier.GOLD));
            assertThat(customers.findByTier(Customer.Tier.GOLD)).extracting(Customer::id).containsExactly("c1");
        });
    }

    @Test
    void aPropertySwitchesRepositoriesOff() {
        runner.withUserConfiguration(SamplePackage.class).withPropertyValues("protobase.repositories.enabled=false")
                .run(c -> assertThat(c).doesNotHaveBean(CustomerRepository.class)
                        .doesNotHaveBean(ProtoBaseTemplate.class).hasSingleBean(Database.class));
    }

    @Test
    void backsOffWithoutSpringDataOnTheClasspath() {
        runner.withUserConfiguration(SamplePackage.class).withClassLoader(new FilteredClassLoader(ProtoBaseRepository.class))
                .run(c -> assertThat(c).doesNotHaveBean(ProtoBaseTemplate.class).hasSingleBean(Database.class));
    }

    @Test
    void backsOffForTheApplicationsOwnEnableAnnotationAndTemplate() {
        runner.withUserConfiguration(OwnSetup.class).run(c -> {
            assertThat(c).hasSingleBean(CustomerRepository.class).hasSingleBean(ProtoBaseTemplate.class);
            assertThat(c.getBean(ProtoBaseTemplate.class)).isSameAs(c.getBean(OwnSetup.class).template);
        });
    }

    @Test
    void dataSurvivesARestartOnFileStorage(@TempDir Path dir) {
        ApplicationContextRunner onFile = runner.withUserConfiguration(SamplePackage.class).withPropertyValues(
                "protobase.storage.type=file", "protobase.storage.file.path=" + dir);
        onFile.run(c -> {
            Customer ann = c.getBean(CustomerRepository.class).save(new Customer("c1", "Ann", Customer.Tier.SILVER));
            PurchaseOrder saved = c.getBean(PurchaseOrderRepository.class).save(new PurchaseOrder(null, ann,
                    Map.of("apple", 2), Set.of("gift"), null, null, null, null, null, Customer.Tier.SILVER));
            assertThat(saved.id()).isEqualTo(1);
        });
        onFile.run(c -> {
            PurchaseOrderRepository orders = c.getBean(PurchaseOrderRepository.class);
            PurchaseOrder loaded = orders.findById(1).orElseThrow();
            assertThat(loaded.customer().name()).isEqualTo("Ann");
            assertThat(loaded.quantities()).containsEntry("apple", 2);
            assertThat(loaded.tierAtOrder()).isEqualTo(Customer.Tier.SILVER);
            assertThat(orders.findByCustomerId("c1")).hasSize(1);
            PurchaseOrder next = orders.save(new PurchaseOrder(null, loaded.customer(), null, null, null, null, null,
                    null, null, null));
            assertThat(next.id()).isEqualTo(2);
        });
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = Customer.class)
    static class SamplePackage {
    }

    @Configuration(proxyBeanMethods = false)
    @EnableProtoBaseRepositories(basePackageClasses = Customer.class)
    static class OwnSetup {

        ProtoBaseTemplate template;

        @Bean
        ProtoBaseTemplate protoBaseTemplate(Database database) {
            template = new ProtoBaseTemplate(database, new ProtoBaseMappingContext());
            return template;
        }
    }
}
