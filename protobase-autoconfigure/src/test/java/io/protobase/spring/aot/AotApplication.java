package io.protobase.spring.aot;

import io.protobase.ObjectSpace;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.data.ProtoBaseRepositoriesAutoConfiguration;
import org.springframework.aot.AotDetector;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * A small application with repositories, processed ahead of time by {@link ProtoBaseAotTests}. Its
 * {@code main} is what the AOT build plugins run to process it, and what the test's child JVM runs
 * with {@code -Dspring.aot.enabled=true}: it saves two books, reads them back by id and by a derived
 * query, and prints what it found.
 */
@Configuration(proxyBeanMethods = false)
@AutoConfigurationPackage
@ImportAutoConfiguration({ ProtoBaseAutoConfiguration.class, ProtoBaseRepositoriesAutoConfiguration.class,
        TransactionManagerCustomizationAutoConfiguration.class, TransactionAutoConfiguration.class })
public class AotApplication {

    public static void main(String[] args) {
        SpringApplication application = new SpringApplication(AotApplication.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        try (ConfigurableApplicationContext context = application.run(args)) {
            BookRepository books = context.getBean(BookRepository.class);
            books.save(new Book("978-0", "Le Guin", 248));
            books.save(new Book("978-1", "Lem", 204));
            System.out.println("generated artifacts used: " + AotDetector.useGeneratedArtifacts());
            System.out.println("storage: " + context.getBean(ObjectSpace.class).storage().getClass().getSimpleName());
            System.out.println("by id: " + books.findById("978-1").orElseThrow());
            System.out.println("by author: " + books.findByAuthor("Le Guin"));
        }
    }
}
