package io.protobase.spring.data.core.mapping;

import io.protobase.spring.data.annotation.Root;
import org.springframework.data.core.TypeInformation;
import org.springframework.data.mapping.model.BasicPersistentEntity;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * An entity type, or a nested value type, known to the {@link ProtoBaseMappingContext}. An entity's
 * records live in one root collection named by {@link Root} or, by default, by the class's simple name.
 *
 * <p>What the converter asks of every instance written (the root name, the stored properties in
 * attribute order) is worked out once, after the mapping context has added all properties
 * ({@link #verify}), instead of per instance.
 */
public class ProtoBasePersistentEntity<T> extends BasicPersistentEntity<T, ProtoBasePersistentProperty> {

    private volatile String rootName;
    private volatile ProtoBasePersistentProperty[] storedProperties;
    private volatile String[] storedNames;

    public ProtoBasePersistentEntity(TypeInformation<T> information) {
        super(information);
    }

    @Override
    public void verify() {
        super.verify();
        storedProperties = null;
        storedNames = null;
    }

    /** The name of the root collection holding this entity type's records. */
    public String getRootName() {
        String name = rootName;
        if (name == null) {
            Root root = findAnnotation(Root.class);
            name = root != null ? root.value() : getType().getSimpleName();
            rootName = name;
        }
        return name;
    }

    /** The properties stored as record attributes (all but transient ones), in ascending name order. */
    public ProtoBasePersistentProperty[] getStoredProperties() {
        ProtoBasePersistentProperty[] stored = storedProperties;
        if (stored == null) {
            List<ProtoBasePersistentProperty> list = new ArrayList<>();
            for (ProtoBasePersistentProperty p : this) {
                if (!p.isTransient()) {
                    list.add(p);
                }
            }
            list.sort(Comparator.comparing(ProtoBasePersistentProperty::getName));
            stored = list.toArray(new ProtoBasePersistentProperty[0]);
            storedProperties = stored;
        }
        return stored;
    }

    /** The attribute names of {@link #getStoredProperties()}, index for index. */
    public String[] getStoredNames() {
        String[] names = storedNames;
        if (names == null) {
            ProtoBasePersistentProperty[] stored = getStoredProperties();
            names = new String[stored.length];
            for (int i = 0; i < stored.length; i++) {
                names[i] = stored[i].getName();
            }
            storedNames = names;
        }
        return names;
    }
}
