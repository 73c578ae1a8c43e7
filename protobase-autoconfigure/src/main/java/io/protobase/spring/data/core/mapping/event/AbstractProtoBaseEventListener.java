package io.protobase.spring.data.core.mapping.event;

import org.springframework.context.ApplicationListener;
import org.springframework.core.GenericTypeResolver;

/**
 * A base for listeners to the mapping events of one entity type ({@code E}, resolved from the
 * subclass's declaration; {@code Object} for all types), as Spring Data MongoDB's
 * {@code AbstractMongoEventListener}: override the methods of the events of interest. Register the
 * subclass as a bean.
 *
 * @param <E> the entity type whose events reach the methods
 */
public abstract class AbstractProtoBaseEventListener<E> implements ApplicationListener<ProtoBaseMappingEvent<?>> {

    private final Class<?> domainType;

    /** A listener to the events of the entity type its subclass declares. */
    protected AbstractProtoBaseEventListener() {
        Class<?> resolved = GenericTypeResolver.resolveTypeArgument(getClass(), AbstractProtoBaseEventListener.class);
        this.domainType = resolved == null ? Object.class : resolved;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onApplicationEvent(ProtoBaseMappingEvent<?> event) {
        if (event instanceof AbstractDeleteEvent<?> delete) {
            if (domainType.isAssignableFrom(delete.getType())) {
                if (event instanceof BeforeDeleteEvent<?> before) {
                    onBeforeDelete((BeforeDeleteEvent<E>) before);
                } else if (event instanceof AfterDeleteEvent<?> after) {
                    onAfterDelete((AfterDeleteEvent<E>) after);
                }
            }
            return;
        }
        if (!domainType.isInstance(event.getSource())) {
            return;
        }
        if (event instanceof BeforeConvertEvent<?> e) {
            onBeforeConvert((BeforeConvertEvent<E>) e);
        } else if (event instanceof BeforeSaveEvent<?> e) {
            onBeforeSave((BeforeSaveEvent<E>) e);
        } else if (event instanceof AfterSaveEvent<?> e) {
            onAfterSave((AfterSaveEvent<E>) e);
        } else if (event instanceof AfterConvertEvent<?> e) {
            onAfterConvert((AfterConvertEvent<E>) e);
        }
    }

    /**
     * Handles a {@link BeforeConvertEvent}; does nothing unless overridden.
     *
     * @param event the event
     */
    public void onBeforeConvert(BeforeConvertEvent<E> event) {
    }

    /**
     * Handles a {@link BeforeSaveEvent}; does nothing unless overridden.
     *
     * @param event the event
     */
    public void onBeforeSave(BeforeSaveEvent<E> event) {
    }

    /**
     * Handles an {@link AfterSaveEvent}; does nothing unless overridden.
     *
     * @param event the event
     */
    public void onAfterSave(AfterSaveEvent<E> event) {
    }

    /**
     * Handles an {@link AfterConvertEvent}; does nothing unless overridden.
     *
     * @param event the event
     */
    public void onAfterConvert(AfterConvertEvent<E> event) {
    }

    /**
     * Handles a {@link BeforeDeleteEvent} of entities of type {@code E}; does nothing unless overridden.
     *
     * @param event the event
     */
    public void onBeforeDelete(BeforeDeleteEvent<E> event) {
    }

    /**
     * Handles an {@link AfterDeleteEvent} of entities of type {@code E}; does nothing unless overridden.
     *
     * @param event the event
     */
    public void onAfterDelete(AfterDeleteEvent<E> event) {
    }
}
