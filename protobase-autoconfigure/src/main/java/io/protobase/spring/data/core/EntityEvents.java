package io.protobase.spring.data.core;

import io.protobase.collection.DbObject;
import io.protobase.spring.data.core.mapping.event.AfterConvertCallback;
import io.protobase.spring.data.core.mapping.event.AfterConvertEvent;
import io.protobase.spring.data.core.mapping.event.AfterDeleteEvent;
import io.protobase.spring.data.core.mapping.event.AfterSaveCallback;
import io.protobase.spring.data.core.mapping.event.AfterSaveEvent;
import io.protobase.spring.data.core.mapping.event.BeforeConvertCallback;
import io.protobase.spring.data.core.mapping.event.BeforeConvertEvent;
import io.protobase.spring.data.core.mapping.event.BeforeDeleteEvent;
import io.protobase.spring.data.core.mapping.event.BeforeSaveCallback;
import io.protobase.spring.data.core.mapping.event.BeforeSaveEvent;
import io.protobase.spring.data.core.mapping.event.ProtoBaseMappingEvent;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.data.mapping.callback.EntityCallbacks;

/**
 * The template's lifecycle hooks: it invokes the entity callbacks through Spring Data's
 * {@link EntityCallbacks} and publishes the mapping events, in Spring Data MongoDB's order (each event
 * before the callbacks of the same step). Callbacks and the {@code Before…} events run inside the
 * transaction attempt that writes; the {@code AfterSave}/{@code AfterDelete} events wait for its
 * commit ({@link TransactionJoiner#afterCommit}). Without an event publisher or callbacks (a template
 * made outside an application context) the hooks do nothing.
 */
final class EntityEvents {

    private final TransactionJoiner transactions;
    private volatile ApplicationEventPublisher publisher;
    private volatile boolean publishing = true;
    private volatile EntityCallbacks callbacks;
    private volatile boolean beforeSaveCallbacks;

    EntityEvents(TransactionJoiner transactions) {
        this.transactions = transactions;
    }

    void setPublisher(ApplicationEventPublisher publisher) {
        this.publisher = publisher;
    }

    void setPublishing(boolean publishing) {
        this.publishing = publishing;
    }

    /**
     * Invokes {@code callbacks}; {@code beforeSave} tells whether any of them may be a
     * {@link BeforeSaveCallback}, whose changes to the entity it is given cost a second conversion.
     */
    void setCallbacks(EntityCallbacks callbacks, boolean beforeSave) {
        this.callbacks = callbacks;
        this.beforeSaveCallbacks = beforeSave;
    }

    <T> T beforeConvert(T entity, String root) {
        if (publishes()) {
            publish(new BeforeConvertEvent<>(entity, null, root));
        }
        EntityCallbacks c = callbacks;
        return c == null ? entity : c.callback(BeforeConvertCallback.class, entity, root);
    }

    /**
     * Whether the entity {@link #beforeSave} returns must be converted again: when it is not the one
     * given, or when a {@link BeforeSaveCallback} may have changed that one in place (records are
     * immutable, so such a change is not in the record the callback was given).
     */
    boolean convertAfterBeforeSave(Object given, Object returned) {
        return returned != given || (beforeSaveCallbacks && callbacks != null);
    }

    <T> T beforeSave(T entity, DbObject record, String root) {
        if (publishes()) {
            publish(new BeforeSaveEvent<>(entity, record, root));
        }
        EntityCallbacks c = callbacks;
        return c == null ? entity : c.callback(BeforeSaveCallback.class, entity, record, root);
    }

    <T> T afterSave(T entity, DbObject record, String root) {
        if (publishes()) {
            transactions.afterCommit(() -> publish(new AfterSaveEvent<>(entity, record, root)));
        }
        EntityCallbacks c = callbacks;
        return c == null ? entity : c.callback(AfterSaveCallback.class, entity, record, root);
    }

    <T> T afterConvert(T entity, DbObject record, String root) {
        if (publishes()) {
            publish(new AfterConvertEvent<>(entity, record, root));
        }
        EntityCallbacks c = callbacks;
        return c == null ? entity : c.callback(AfterConvertCallback.class, entity, record, root);
    }

    <T> void beforeDelete(Object idOrType, Class<T> type, String root) {
        if (publishes()) {
            publish(new BeforeDeleteEvent<>(idOrType, type, root));
        }
    }

    <T> void afterDelete(Object idOrType, Class<T> type, String root) {
        if (publishes()) {
            transactions.afterCommit(() -> publish(new AfterDeleteEvent<>(idOrType, type, root)));
        }
    }

    private boolean publishes() {
        return publishing && publisher != null;
    }

    private void publish(ProtoBaseMappingEvent<?> event) {
        ApplicationEventPublisher p = publisher;
        if (p != null) {
            p.publishEvent(event);
        }
    }
}
