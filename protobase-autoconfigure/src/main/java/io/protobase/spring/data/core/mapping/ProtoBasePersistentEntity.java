package io.protobase.spring.data.core.mapping;

import io.protobase.spring.data.annotation.Root;
import org.springframework.data.mapping.model.BasicPersistentEntity;
import org.springframework.data.core.TypeInformation;

/**
 * An entity type, or a nested value type, known to the {@link ProtoBaseMappingContext}. An entity's
 * records live in one root collection named by {@link Root} or, by default, by the class's simple name.
 */
public class ProtoBasePersistentEntity<T> extends BasicPersistentEntity<T, ProtoBasePersistentProperty> {

    public ProtoBasePersistentEntity(TypeInformation<T> information) {
        super(information);
    }

    /** The name of the root collection holding this entity type's records. */
    public String getRootName() {
        Root root = findAnnotation(Root.class);
        return root != null ? root.value() : getType().getSimpleName();
    }
}
