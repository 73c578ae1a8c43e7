package io.protobase.spring.data.core.mapping;

import io.protobase.index.IndexDefinition;
import org.springframework.data.core.TypeInformation;
import org.springframework.data.mapping.context.AbstractMappingContext;
import org.springframework.data.mapping.model.Property;
import org.springframework.data.mapping.model.SimpleTypeHolder;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Spring Data's view of ProtoBase entity types: their properties, identifiers, versions, indexes and
 * root names. Types are inspected as the repositories ask for them; the class objects come from the
 * application (the repository interfaces' generics), never from the stored data.
 */
public class ProtoBaseMappingContext
        extends AbstractMappingContext<ProtoBasePersistentEntity<?>, ProtoBasePersistentProperty> {

    /** Entities by class, once known: entities are never removed or replaced, only added. */
    private final Map<Class<?>, ProtoBasePersistentEntity<?>> byClass = new ConcurrentHashMap<>();

    public ProtoBaseMappingContext() {
        setSimpleTypeHolder(ProtoBaseSimpleTypes.HOLDER);
    }

    /**
     * The entity of {@code type}, or {@code null}. Asked for every entity written or read, so the
     * answer is kept by class: the base class resolves a {@code TypeInformation} and takes a read lock
     * on every call.
     */
    @Override
    public ProtoBasePersistentEntity<?> getPersistentEntity(Class<?> type) {
        ProtoBasePersistentEntity<?> entity = byClass.get(type);
        if (entity == null) {
            entity = super.getPersistentEntity(type);
            if (entity != null) {
                byClass.put(type, entity);
            }
        }
        return entity;
    }

    @Override
    protected <T> ProtoBasePersistentEntity<?> createPersistentEntity(TypeInformation<T> typeInformation) {
        return new ProtoBasePersistentEntity<>(typeInformation);
    }

    @Override
    protected ProtoBasePersistentProperty createPersistentProperty(Property property,
            ProtoBasePersistentEntity<?> owner, SimpleTypeHolder simpleTypeHolder) {
        return new ProtoBasePersistentProperty(property, owner, simpleTypeHolder);
    }

    /**
     * The indexes of the {@code @Indexed} properties of {@code entity}: one field-path index per dotted
     * path, named after it, including those of nested value objects ({@code address.city}; references
     * and collections are not followed), covering when the annotation asks for it.
     */
    public List<IndexDefinition> indexes(ProtoBasePersistentEntity<?> entity) {
        List<IndexDefinition> indexes = new ArrayList<>();
        collectIndexes(entity, "", indexes, new LinkedHashSet<>());
        return indexes;
    }

    private void collectIndexes(ProtoBasePersistentEntity<?> entity, String prefix, List<IndexDefinition> indexes,
            Set<Class<?>> visiting) {
        if (!visiting.add(entity.getType())) {
            return;
        }
        for (ProtoBasePersistentProperty p : entity) {
            if (p.isIndexed()) {
                IndexDefinition d = IndexDefinition.onField(prefix + p.getName());
                indexes.add(p.isCoveringIndex() ? d.covering() : d);
            }
            if (p.isEntity() && !p.isAssociation() && !p.isCollectionLike() && !p.isMap()) {
                collectIndexes(getRequiredPersistentEntity(p.getActualType()), prefix + p.getName() + ".", indexes,
                        visiting);
            }
        }
        visiting.remove(entity.getType());
    }

    /** The enum types among {@code entity}'s properties, nested ones included, to register with the object space. */
    @SuppressWarnings("unchecked")
    public Set<Class<? extends Enum<?>>> enumTypes(ProtoBasePersistentEntity<?> entity) {
        Set<Class<? extends Enum<?>>> enums = new LinkedHashSet<>();
        collectEnums(entity, enums, new LinkedHashSet<>());
        return enums;
    }

    @SuppressWarnings("unchecked")
    private void collectEnums(ProtoBasePersistentEntity<?> entity, Set<Class<? extends Enum<?>>> enums,
            Set<Class<?>> visited) {
        if (!visited.add(entity.getType())) {
            return;
        }
        for (ProtoBasePersistentProperty p : entity) {
            Class<?> actual = p.getActualType();
            if (actual.isEnum()) {
                enums.add((Class<? extends Enum<?>>) actual);
            }
            if (p.isMap()) {
                Class<?> key = p.getTypeInformation().getRequiredComponentType().getType();
                if (key.isEnum()) {
                    enums.add((Class<? extends Enum<?>>) key);
                }
            }
            if (p.isEntity() && !p.isAssociation()) {
                collectEnums(getRequiredPersistentEntity(actual), enums, visited);
            }
        }
    }
}
