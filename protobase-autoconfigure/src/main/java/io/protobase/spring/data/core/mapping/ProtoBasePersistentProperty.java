package io.protobase.spring.data.core.mapping;

import io.protobase.spring.data.annotation.Indexed;
import org.springframework.data.mapping.Association;
import org.springframework.data.mapping.PersistentEntity;
import org.springframework.data.mapping.model.AnnotationBasedPersistentProperty;
import org.springframework.data.mapping.model.Property;
import org.springframework.data.mapping.model.SimpleTypeHolder;

/**
 * A property of a ProtoBase entity, stored as the record attribute of the same name. A property
 * annotated with Spring Data's {@code @Id}, or else named {@code id}, is the identifier; one
 * annotated with {@code @Reference} is a reference to another entity, stored as its id.
 */
public class ProtoBasePersistentProperty extends AnnotationBasedPersistentProperty<ProtoBasePersistentProperty> {

    public ProtoBasePersistentProperty(Property property, PersistentEntity<?, ProtoBasePersistentProperty> owner,
            SimpleTypeHolder simpleTypeHolder) {
        super(property, owner, simpleTypeHolder);
    }

    @Override
    public boolean isIdProperty() {
        return super.isIdProperty() || ("id".equals(getName()) && !hasExplicitId());
    }

    private boolean hasExplicitId() {
        for (Class<?> c = getOwner().getType(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                if (f.isAnnotationPresent(org.springframework.data.annotation.Id.class)
                        && !f.getName().equals(getName())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@link Indexed} asks for a secondary index on this property. */
    public boolean isIndexed() {
        return isAnnotationPresent(Indexed.class);
    }

    /** Whether the {@link Indexed} index on this property is covering (holds the records). */
    public boolean isCoveringIndex() {
        Indexed indexed = findAnnotation(Indexed.class);
        return indexed != null && indexed.covering();
    }

    @Override
    protected Association<ProtoBasePersistentProperty> createAssociation() {
        return new Association<>(this, null);
    }
}
