package io.protobase.spring.data.core;

import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentProperty;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.data.mapping.Parameter;
import org.springframework.data.mapping.PersistentPropertyAccessor;
import org.springframework.data.mapping.model.EntityInstantiators;
import org.springframework.data.mapping.model.ParameterValueProvider;
import org.springframework.data.projection.ProjectionFactory;
import org.springframework.data.projection.ProjectionInformation;

import java.beans.PropertyDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What a query returns for each stored record of an entity type: the entity itself, or a projection
 * of it, as Spring Data's other stores return them.
 *
 * <ul>
 *   <li>The entity type (or a supertype): the whole entity, references resolved.</li>
 *   <li>A <em>closed</em> interface projection (every accessor names a property, no {@code @Value}
 *       expression): only the attributes it names are read from the record, converted by the entity's
 *       property types, and the projection proxy reads them; no entity is created.</li>
 *   <li>An <em>open</em> interface projection: its expressions may touch anything, so the whole
 *       entity is read and the proxy works on it.</li>
 *   <li>A DTO (a class or record that is not the entity): the attributes named by its properties
 *       (its constructor's parameters, then its other properties) are read and the DTO is created
 *       from them; no entity is created.</li>
 * </ul>
 *
 * <p>A {@code Distinct} query is distinct by what it returns: by the attributes a closed projection
 * or DTO reads (compared as stored), and not at all for entities and open projections, which are one
 * per record and so distinct by id already.
 */
final class ResultProjection<R> {

    private final List<ProtoBasePersistentProperty> attributes;
    private final Reader<R> reader;

    /** Reads one record as a {@code R} in a transaction. */
    @FunctionalInterface
    interface Reader<R> {
        R read(Transaction tx, DbObject record);
    }

    private ResultProjection(List<ProtoBasePersistentProperty> attributes, Reader<R> reader) {
        this.attributes = attributes;
        this.reader = reader;
    }

    /**
     * How records of {@code entity} become {@code resultType}s; whole entities are read by {@code
     * entities}, single properties through {@code roots}.
     */
    @SuppressWarnings("unchecked")
    static <R> ResultProjection<R> of(ProtoBasePersistentEntity<?> entity, Class<R> resultType,
            Reader<?> entities, EntityRoots roots, ProtoBaseMappingContext mappingContext,
            ProjectionFactory projections, EntityInstantiators instantiators) {
        Class<?> domainType = entity.getType();
        if (resultType.isAssignableFrom(domainType)) {
            return new ResultProjection<>(null, (tx, r) -> (R) entities.read(tx, r));
        }
        if (resultType.isInterface()) {
            ProjectionInformation information = projections.getProjectionInformation(resultType);
            if (!information.isClosed()) {
                return new ResultProjection<>(null,
                        (tx, r) -> projections.createProjection(resultType, entities.read(tx, r)));
            }
            List<ProtoBasePersistentProperty> read = new ArrayList<>();
            for (PropertyDescriptor d : information.getInputProperties()) {
                ProtoBasePersistentProperty p = entity.getPersistentProperty(d.getName());
                if (p != null && !p.isTransient()) {
                    read.add(p);
                }
            }
            return new ResultProjection<>(read,
                    (tx, r) -> projections.createProjection(resultType, values(tx, roots, read, r)));
        }
        ProtoBasePersistentEntity<?> dto = mappingContext.getPersistentEntity(resultType);
        if (dto == null) {
            throw new InvalidDataAccessApiUsageException("Cannot return " + resultType.getName() + " for "
                    + domainType.getName() + ": it is neither the entity, an interface projection nor a class "
                    + "with properties named after the entity's; declare one of those as the result type");
        }
        List<ProtoBasePersistentProperty> read = new ArrayList<>();
        for (ProtoBasePersistentProperty target : dto) {
            ProtoBasePersistentProperty p = entity.getPersistentProperty(target.getName());
            if (p != null && !p.isTransient()) {
                read.add(p);
            }
        }
        return new ResultProjection<>(read, (tx, r) -> (R) instantiate(dto, values(tx, roots, read, r),
                instantiators));
    }

    /** The converted values of {@code properties} in {@code record}, by property name; missing ones absent. */
    private static Map<String, Object> values(Transaction tx, EntityRoots roots,
            List<ProtoBasePersistentProperty> properties, DbObject record) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (ProtoBasePersistentProperty p : properties) {
            Object value = roots.readProperty(tx, p, record);
            if (value != null) {
                values.put(p.getName(), value);
            }
        }
        return values;
    }

    private static <T> T instantiate(ProtoBasePersistentEntity<T> dto, Map<String, Object> values,
            EntityInstantiators instantiators) {
        ParameterValueProvider<ProtoBasePersistentProperty> parameters = new ParameterValueProvider<>() {
            @Override
            @SuppressWarnings("unchecked")
            public <V> V getParameterValue(Parameter<V, ProtoBasePersistentProperty> parameter) {
                Object value = values.get(parameter.getRequiredName());
                Class<V> type = parameter.getType().getType();
                if (value == null && type.isPrimitive()) {
                    return (V) DbObjectConverter.primitiveDefault(type);
                }
                return (V) value;
            }
        };
        T instance = instantiators.getInstantiatorFor(dto).createInstance(dto, parameters);
        PersistentPropertyAccessor<T> accessor = dto.getPropertyAccessor(instance);
        for (ProtoBasePersistentProperty p : dto) {
            Object value = values.get(p.getName());
            if (value != null && !dto.isCreatorArgument(p) && p.isWritable()) {
                accessor.setProperty(p, value);
            }
        }
        return accessor.getBean();
    }

    /** Reads the result of {@code record}, resolving references in {@code tx}. */
    R read(Transaction tx, DbObject record) {
        return reader.read(tx, record);
    }

    /**
     * The key of a {@code Distinct} query: the stored values of the attributes this projection reads,
     * or {@code null} when each record is a result of its own (entities, open projections).
     */
    Function<Object, ?> distinctKey() {
        if (attributes == null) {
            return null;
        }
        List<String> names = attributes.stream().map(ProtoBasePersistentProperty::getName).toList();
        return r -> {
            Map<String, Object> key = new HashMap<>();
            for (String name : names) {
                key.put(name, ((DbObject) r).getAt(name));
            }
            return key;
        };
    }
}
