package io.protobase.spring.autoconfigure;

import io.protobase.StorageLockedException;
import org.springframework.beans.BeanInstantiationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;

import java.util.Locale;
import java.util.Set;

/** Startup reports for storages that cannot be opened as configured. */
final class StorageFailureAnalyzers {

    private StorageFailureAnalyzers() {
    }

    /** A storage directory property names a file, or a directory that cannot be created or written. */
    static final class DirectoryUnusable extends AbstractFailureAnalyzer<StorageDirectoryUnusableException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, StorageDirectoryUnusableException cause) {
            return new FailureAnalysis("ProtoBase cannot open its storage: " + cause.getMessage(), cause.action(),
                    cause);
        }
    }

    /** Another process holds the storage directory. */
    static final class Locked extends AbstractFailureAnalyzer<StorageLockedException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, StorageLockedException cause) {
            return new FailureAnalysis("ProtoBase cannot open its storage (protobase.storage.file.path): "
                    + cause.getMessage(),
                    "Stop the other process using that directory, or set protobase.storage.file.path to a "
                            + "directory no other process uses (one directory belongs to one process at a time).",
                    cause);
        }
    }

    /**
     * The cloud or cloud-cluster storage cannot be opened: no S3 client, missing bucket, bad credentials,
     * unreachable endpoint, a prefix another database holds.
     */
    static final class CloudUnusable extends AbstractFailureAnalyzer<CloudStorageUnusableException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, CloudStorageUnusableException cause) {
            return new FailureAnalysis("ProtoBase cannot open its " + cause.type()
                    + " storage (protobase.storage.type=" + cause.type() + "): " + cause.getMessage(), cause.action(),
                    cause);
        }
    }

    /** The cluster or cloud-cluster storage cannot be opened: Ratis missing, its port taken, a foreign directory. */
    static final class ClusterUnusable extends AbstractFailureAnalyzer<ClusterStorageUnusableException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, ClusterStorageUnusableException cause) {
            return new FailureAnalysis("ProtoBase cannot open its " + cause.type()
                    + " storage (protobase.storage.type=" + cause.type() + "): " + cause.getMessage(), cause.action(),
                    cause);
        }
    }

    /**
     * Spring Cloud AWS cannot build its S3 client because no AWS region is configured. The S3
     * starter builds that client at startup whatever ProtoBase's storage type, so the report says
     * whether ProtoBase needs it and how to do without it. Recognised by type, not by message: the
     * client or its builder failed to instantiate with the AWS SDK's client exception while neither
     * region property is set. The AWS SDK is optional, so its types are compared by name.
     */
    @Order(Ordered.HIGHEST_PRECEDENCE + 50)
    static final class S3ClientWithoutRegion implements FailureAnalyzer {

        private static final Set<String> S3_CLIENT_TYPES = Set.of("software.amazon.awssdk.services.s3.S3Client",
                "software.amazon.awssdk.services.s3.S3ClientBuilder");
        private static final String SDK_CLIENT_EXCEPTION = "software.amazon.awssdk.core.exception.SdkClientException";
        private static final String REGION = "spring.cloud.aws.region.static";

        private final Environment environment;

        S3ClientWithoutRegion(Environment environment) {
            this.environment = environment;
        }

        @Override
        public FailureAnalysis analyze(Throwable failure) {
            if (environment.containsProperty(REGION) || environment.containsProperty("spring.cloud.aws.s3.region")) {
                return null;
            }
            Throwable sdkFailure = null;
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (t instanceof BeanInstantiationException b && S3_CLIENT_TYPES.contains(b.getBeanClass().getName())
                        && isSdkClientException(rootCause(b))) {
                    sdkFailure = rootCause(b);
                    break;
                }
            }
            if (sdkFailure == null) {
                return null;
            }
            String description = "No AWS region is configured, so Spring Cloud AWS cannot build its S3 client ("
                    + sdkFailure.getMessage() + ").";
            String type = environment.getProperty("protobase.storage.type", "file").trim().toLowerCase(Locale.ROOT);
            if (type.startsWith("cloud")) {
                String bucket = environment.getProperty("protobase.storage.cloud.bucket", "");
                return new FailureAnalysis(description + " ProtoBase's cloud storage (protobase.storage.type=" + type
                        + ") uses this client.", "Set " + REGION + " to the region of the bucket '" + bucket
                        + "' (for example eu-west-1), or give the region through the AWS_REGION environment variable "
                        + "or the AWS profile (~/.aws/config).", failure);
            }
            return new FailureAnalysis(description + " ProtoBase's " + type + " storage does not use S3, but "
                    + "spring-cloud-aws-starter-s3 on the classpath builds this client when the application starts.",
                    "If the application uses S3, set " + REGION + " (for example eu-west-1). If it does not, remove "
                            + "io.awspring.cloud:spring-cloud-aws-starter-s3 from its dependencies, or set "
                            + "spring.cloud.aws.s3.enabled=false.", failure);
        }

        private static Throwable rootCause(Throwable t) {
            Throwable c = t;
            while (c.getCause() != null && c.getCause() != c) {
                c = c.getCause();
            }
            return c;
        }

        private static boolean isSdkClientException(Throwable t) {
            for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
                if (c.getName().equals(SDK_CLIENT_EXCEPTION)) {
                    return true;
                }
            }
            return false;
        }
    }
}
