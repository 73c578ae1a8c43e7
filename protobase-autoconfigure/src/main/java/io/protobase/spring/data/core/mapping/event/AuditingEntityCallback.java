package io.protobase.spring.data.core.mapping.event;

import org.springframework.beans.factory.ObjectFactory;
import org.springframework.core.Ordered;
import org.springframework.data.auditing.IsNewAwareAuditingHandler;

import java.util.Objects;

/**
 * Sets the audit properties of every entity before it is converted, through Spring Data's
 * {@link IsNewAwareAuditingHandler}: the {@code @Created…} ones of a new entity, the
 * {@code @LastModified…} ones of every saved entity. {@code @EnableProtoBaseAuditing} registers it.
 * It runs early ({@link #getOrder()} 100), so later callbacks see the audited entity.
 */
public class AuditingEntityCallback implements BeforeConvertCallback<Object>, Ordered {

    private final ObjectFactory<IsNewAwareAuditingHandler> auditingHandler;

    /**
     * A callback that asks {@code auditingHandler} for the handler on each entity, so the handler is
     * created when the first entity is saved.
     *
     * @param auditingHandler supplies the auditing handler
     */
    public AuditingEntityCallback(ObjectFactory<IsNewAwareAuditingHandler> auditingHandler) {
        this.auditingHandler = Objects.requireNonNull(auditingHandler, "auditingHandler");
    }

    @Override
    public Object onBeforeConvert(Object entity, String root) {
        return auditingHandler.getObject().markAudited(entity);
    }

    @Override
    public int getOrder() {
        return 100;
    }
}
