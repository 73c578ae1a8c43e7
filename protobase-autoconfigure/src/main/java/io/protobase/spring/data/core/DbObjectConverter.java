package io.protobase.spring.data.core;

import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentProperty;
import org.springframework.core.CollectionFactory;
import org.springframework.data.core.TypeInformation;
import org.springframework.data.mapping.MappingException;
import org.springframework.data.mapping.Parameter;
import org.springframework.data.mapping.PersistentPropertyAccessor;
import org.springframework.data.mapping.model.EntityInstantiators;
import org.springframework.data.mapping.model.ParameterValueProvider;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Converts entities to {@code DbObject} records and back, driven by the {@link ProtoBaseMappingContext}.
 *
 * <p>Each property becomes the attribute of the same name: codec types and enums as they are, nested
 * value objects as nested {@code DbObject}s, {@code List}/{@code Set}/arrays as a {@code java.util.List},
 * {@code Map}s as a {@code Dictionary} (any orderable key type), and {@code @Reference} properties as
 * the referenced entity's id. {@code null} is not stored. Reading is typed by the declared property
 * types only: the data holds no class names, so nothing outside the registered entity types and their
 * property types is ever instantiated. Instances are created through Spring Data's instantiators, so
 * records, immutable classes with a constructor and plain classes with setters all work.
 */
public class DbObjectConverter {

    /** Loads a referenced entity by id while a record is being read. */
    @FunctionalInterface
    public interface ReferenceResolver {
        /** The entity of type {@code target} with {@code id}, or {@code null}. */
        Object resolve(ProtoBasePersistentEntity<?> target, Object id);
    }

    private final ProtoBaseMappingContext mappingContext;
    private final EntityInstantiators instantiators = new EntityInstantiators();

    public DbObjectConverter(ProtoBaseMappingContext mappingContext) {
        this.mappingContext = mappingContext;
    }

    /** The mapping metadata this converter follows. */
    public ProtoBaseMappingContext getMappingContext() {
        return mappingContext;
    }

    // ------------------------------------------------------------------ write

    /** The record of {@code source}, an entity or a nested value object. */
    public DbObject write(Object source) {
        ProtoBasePersistentEntity<?> entity = mappingContext.getRequiredPersistentEntity(source.getClass());
        return write(entity, entity.getPropertyAccessor(source));
    }

    /** The record of the bean of {@code accessor}, an {@code entity}: saves pass the accessor they have. */
    DbObject write(ProtoBasePersistentEntity<?> entity, PersistentPropertyAccessor<?> accessor) {
        ProtoBasePersistentProperty[] stored = entity.getStoredProperties();
        Object[] values = new Object[stored.length];
        for (int i = 0; i < stored.length; i++) {
            ProtoBasePersistentProperty p = stored[i];
            Object value = accessor.getProperty(p);
            if (value != null) {
                values[i] = p.isAssociation() ? writeReference(p, value) : writeValue(value);
            }
        }
        return DbObject.from(entity.getStoredNames(), values);
    }

    private Object writeReference(ProtoBasePersistentProperty p, Object value) {
        ProtoBasePersistentEntity<?> target = mappingContext.getRequiredPersistentEntity(p.getActualType());
        if (value instanceof Collection<?> c) {
            List<Object> ids = new ArrayList<>(c.size());
            c.forEach(e -> ids.add(target.getIdentifierAccessor(e).getRequiredIdentifier()));
            return ids;
        }
        return target.getIdentifierAccessor(value).getRequiredIdentifier();
    }

    private Object writeValue(Object value) {
        if (value instanceof String || value instanceof Long || value instanceof Integer || value instanceof Boolean
                || value instanceof Double) {
            return value;
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        if (value instanceof Short || value instanceof Byte) {
            return ((Number) value).intValue();
        }
        if (value instanceof Character c) {
            return c.toString();
        }
        if (value == null || isSimple(value.getClass())) {
            return value;
        }
        if (value instanceof Collection<?> c) {
            List<Object> list = new ArrayList<>(c.size());
            c.forEach(e -> list.add(writeValue(e)));
            return list;
        }
        if (value.getClass().isArray()) {
            int n = java.lang.reflect.Array.getLength(value);
            List<Object> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(writeValue(java.lang.reflect.Array.get(value, i)));
            }
            return list;
        }
        if (value instanceof Map<?, ?> m) {
            Dictionary.Builder b = Dictionary.builder();
            m.forEach((k, v) -> {
                if (v != null) {
                    b.setAt(writeValue(k), writeValue(v));
                }
            });
            return b.build();
        }
        return write(value);
    }

    private static boolean isSimple(Class<?> type) {
        return type.isEnum() || (type.getSuperclass() != null && type.getSuperclass().isEnum())
                || io.protobase.spring.data.core.mapping.ProtoBaseSimpleTypes.HOLDER.isSimpleType(type);
    }

    // ------------------------------------------------------------------ read

    /** An instance of {@code type} from {@code source}, resolving references through {@code references}. */
    public <T> T read(Class<T> type, DbObject source, ReferenceResolver references) {
        @SuppressWarnings("unchecked")
        ProtoBasePersistentEntity<T> entity =
                (ProtoBasePersistentEntity<T>) mappingContext.getRequiredPersistentEntity(type);
        ParameterValueProvider<ProtoBasePersistentProperty> parameters = new ParameterValueProvider<>() {
            @Override
            @SuppressWarnings("unchecked")
            public <V> V getParameterValue(Parameter<V, ProtoBasePersistentProperty> parameter) {
                ProtoBasePersistentProperty p = entity.getRequiredPersistentProperty(parameter.getRequiredName());
                Object value = readProperty(p, source, references);
                if (value == null && parameter.getType().getType().isPrimitive()) {
                    return (V) primitiveDefault(parameter.getType().getType());
                }
                return (V) value;
            }
        };
        T instance = instantiators.getInstantiatorFor(entity).createInstance(entity, parameters);
        PersistentPropertyAccessor<T> accessor = entity.getPropertyAccessor(instance);
        for (ProtoBasePersistentProperty p : entity) {
            if (entity.isCreatorArgument(p) || p.isTransient() || !p.isWritable()) {
                continue;
            }
            Object value = readProperty(p, source, references);
            if (value != null) {
                accessor.setProperty(p, value);
            }
        }
        return accessor.getBean();
    }

    /**
     * The value of one property of {@code source}, read by its declared type as {@link #read} reads it,
     * or {@code null} when the record has no such attribute. Projections use it to read only the
     * properties they need.
     */
    public Object readProperty(ProtoBasePersistentProperty p, DbObject source, ReferenceResolver references) {
        Object raw = source.getAt(p.getName());
        if (raw == null) {
            return null;
        }
        if (p.isAssociation()) {
            ProtoBasePersistentEntity<?> target = mappingContext.getRequiredPersistentEntity(p.getActualType());
            if (p.isCollectionLike()) {
                Collection<Object> out = CollectionFactory.createCollection(p.getType(), ((List<?>) raw).size());
                for (Object id : (List<?>) raw) {
                    Object e = references.resolve(target, id);
                    if (e != null) {
                        out.add(e);
                    }
                }
                return out;
            }
            return references.resolve(target, raw);
        }
        return readValue(p.getTypeInformation(), raw, references);
    }

    @SuppressWarnings({ "unchecked", "rawtypes" })
    private Object readValue(TypeInformation<?> type, Object raw, ReferenceResolver references) {
        if (raw == null) {
            return null;
        }
        Class<?> target = type.getType();
        if (type.isCollectionLike() && raw instanceof List<?> list) {
            TypeInformation<?> element = type.getComponentType();
            if (target.isArray()) {
                Class<?> component = target.getComponentType();
                Object array = java.lang.reflect.Array.newInstance(component, list.size());
                for (int i = 0; i < list.size(); i++) {
                    java.lang.reflect.Array.set(array, i,
                            readValue(TypeInformation.of(component), list.get(i), references));
                }
                return array;
            }
            Collection<Object> out = CollectionFactory.createCollection(target, element == null ? Object.class
                    : element.getType(), list.size());
            for (Object e : list) {
                out.add(element == null ? e : readValue(element, e, references));
            }
            return out;
        }
        if (type.isMap() && raw instanceof Dictionary d) {
            TypeInformation<?> keyType = type.getComponentType();
            TypeInformation<?> valueType = type.getMapValueType();
            Map<Object, Object> out = CollectionFactory.createMap(target, keyType == null ? Object.class
                    : keyType.getType(), (int) d.count());
            for (Map.Entry<Object, Object> e : d) {
                out.put(keyType == null ? e.getKey() : readValue(keyType, e.getKey(), references),
                        valueType == null ? e.getValue() : readValue(valueType, e.getValue(), references));
            }
            return out;
        }
        if (raw instanceof DbObject nested && !isSimple(target) && target != Object.class) {
            return read(target, nested, references);
        }
        if (target.isEnum() && raw instanceof String name) {
            return Enum.valueOf((Class) target, name);
        }
        if ((target == Character.class || target == char.class) && raw instanceof String str && str.length() == 1) {
            return str.charAt(0);
        }
        if (raw instanceof Number n && !target.isInstance(raw)) {
            return convertNumber(n, target);
        }
        return raw;
    }

    private static Object convertNumber(Number n, Class<?> target) {
        if (target == Long.class || target == long.class) {
            return n.longValue();
        }
        if (target == Integer.class || target == int.class) {
            return n.intValue();
        }
        if (target == Double.class || target == double.class) {
            return n.doubleValue();
        }
        if (target == Short.class || target == short.class) {
            return n.shortValue();
        }
        if (target == Byte.class || target == byte.class) {
            return n.byteValue();
        }
        if (target == Float.class || target == float.class) {
            return n.floatValue();
        }
        return n;
    }

    /** The value a primitive of {@code type} has when nothing was stored. */
    static Object primitiveDefault(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == char.class) {
            return '\0';
        }
        return convertNumber(0, type);
    }

    /** Throws when {@code type} is not a mappable entity. */
    public void verify(Class<?> type) {
        if (mappingContext.getRequiredPersistentEntity(type).getIdProperty() == null) {
            throw new MappingException("Entity " + type.getName() + " has no identifier: annotate one property with "
                    + "org.springframework.data.annotation.Id, or name it 'id'");
        }
    }
}
