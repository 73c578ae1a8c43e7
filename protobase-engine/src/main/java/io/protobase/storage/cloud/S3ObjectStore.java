package io.protobase.storage.cloud;

import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@link ObjectStore} on the AWS SDK v2 {@link S3Client}: works with AWS S3 and with any
 * S3-compatible server the client is configured for (endpoint override, path-style access).
 * Retries of single requests are the client's own (its retry strategy); what is left failing is
 * reported as {@link StorageUnavailableException} and retried by the caller later.
 *
 * <p>Conditional writes: {@code If-None-Match: *} and {@code If-Match} on PutObject; HTTP 412 (and
 * 404 or 409 for a conditional put) become {@link PreconditionFailedException}. A connection dropped
 * around a 412 surfaces as an {@link SdkClientException}, i.e. an unknown outcome: the caller
 * re-reads, as it does after any timeout.
 */
public final class S3ObjectStore implements ObjectStore {

    private final S3Client s3;
    private final String bucket;

    public S3ObjectStore(S3Client s3, String bucket) {
        this.s3 = Objects.requireNonNull(s3, "s3");
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("bucket must be set");
        }
        this.bucket = bucket;
    }

    /** The bucket. */
    public String bucket() {
        return bucket;
    }

    @Override
    public Optional<StoredObject> get(String key) {
        return call("GET " + key, () -> {
            try {
                ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket)
                        .key(key).build());
                return Optional.of(new StoredObject(r.asByteArray(), r.response().eTag(), r.response().metadata()));
            } catch (S3Exception e) {
                if (isMissingKey(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        if (length == 0) {
            return new byte[0];
        }
        return call("GET " + key + " bytes " + offset + "-" + (offset + length - 1), () -> {
            byte[] b = s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key)
                    .range("bytes=" + offset + "-" + (offset + length - 1)).build()).asByteArray();
            if (b.length != length) {
                throw new StorageException("Ranged GET of " + key + " in " + describe() + " returned " + b.length
                        + " bytes instead of " + length);
            }
            return b;
        });
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
        return call("HEAD " + key, () -> {
            try {
                HeadObjectResponse r = s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(key).build());
                return Optional.of(new ObjectInfo(key, r.contentLength(), r.eTag(), r.metadata()));
            } catch (S3Exception e) {
                if (isMissingKey(e)) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
        return call("LIST " + prefix, () -> {
            List<ObjectInfo> out = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
                    .build()).contents()) {
                out.add(new ObjectInfo(o.key(), o.size(), o.eTag(), Map.of()));
            }
            return out;
        });
    }

    @Override
    public void delete(String key) {
        call("DELETE " + key, () -> s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build()));
    }

    @Override
    public String putIfAbsent(String key, byte[] data, Map<String, String> metadata) {
        return put(PutObjectRequest.builder().bucket(bucket).key(key).ifNoneMatch("*").metadata(metadata).build(),
                data, "PUT (If-None-Match) " + key);
    }

    @Override
    public String putIfMatch(String key, byte[] data, String etag, Map<String, String> metadata) {
        return put(PutObjectRequest.builder().bucket(bucket).key(key).ifMatch(etag).metadata(metadata).build(),
                data, "PUT (If-Match " + etag + ") " + key);
    }

    private String put(PutObjectRequest request, byte[] data, String what) {
        return call(what, () -> {
            try {
                return s3.putObject(request, RequestBody.fromBytes(data)).eTag();
            } catch (S3Exception e) {
                // 412: the condition failed; 404: If-Match on a missing key; 409: a concurrent
                // conditional write to the same key won the race
                if (e.statusCode() == 412 || e.statusCode() == 409
                        || (e.statusCode() == 404 && !"NoSuchBucket".equals(code(e)))) {
                    throw new PreconditionFailedException(e.statusCode() + " on " + what + " in " + describe());
                }
                throw e;
            }
        });
    }

    @Override
    public String describe() {
        return "S3 bucket " + bucket;
    }

    private static boolean isMissingKey(S3Exception e) {
        return e.statusCode() == 404 && !"NoSuchBucket".equals(code(e));
    }

    private static String code(S3Exception e) {
        return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    }

    private <T> T call(String what, Supplier<T> op) {
        try {
            return op.get();
        } catch (PreconditionFailedException e) {
            throw e;
        } catch (S3Exception e) {
            String code = code(e);
            int status = e.statusCode();
            if ("NoSuchBucket".equals(code)) {
                throw new StorageException("The bucket '" + bucket + "' does not exist (" + what + "); create it, or "
                        + "set protobase.storage.cloud.bucket to an existing bucket", e);
            }
            if (status == 403 || "InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)) {
                throw new StorageException("Access to " + describe() + " was denied (" + what + ": " + code
                        + "); check the AWS credentials and that they allow GetObject, PutObject, ListBucket and "
                        + "DeleteObject on the bucket", e);
            }
            if (status >= 500 || status == 429 || status == 408) {
                throw new StorageUnavailableException(what + " failed on " + describe() + " with HTTP " + status
                        + " (" + code + "); it is retried", e);
            }
            throw new StorageException(what + " failed on " + describe() + " with HTTP " + status + " (" + code + ")",
                    e);
        } catch (SdkClientException e) {
            throw new StorageUnavailableException(what + " on " + describe() + " got no reply (" + e.getMessage()
                    + "); S3 is unreachable or timed out, the outcome is unknown", e);
        } catch (SdkException e) {
            throw new StorageUnavailableException(what + " failed on " + describe() + ": " + e.getMessage(), e);
        }
    }
}
