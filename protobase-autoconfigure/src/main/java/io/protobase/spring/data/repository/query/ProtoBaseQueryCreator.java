package io.protobase.spring.data.repository.query;

import io.protobase.query.Expression;
import io.protobase.query.Field;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentProperty;
import io.protobase.spring.data.core.query.Criteria;
import io.protobase.spring.data.core.query.ProtoBaseQuery;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.data.core.PropertyPath;
import org.springframework.data.domain.Sort;
import org.springframework.data.repository.query.ParameterAccessor;
import org.springframework.data.repository.query.parser.AbstractQueryCreator;
import org.springframework.data.repository.query.parser.Part;
import org.springframework.data.repository.query.parser.PartTree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Compiles a derived query method's {@link PartTree} into a {@link ProtoBaseQuery}.
 *
 * <p>Every keyword that the engine's expressions can say becomes an {@link Expression} on the
 * property's dotted path, so the query planner answers it from a secondary index when the property
 * is {@code @Indexed} ({@code Is}, {@code In}, {@code LessThan}..., {@code Between},
 * {@code StartingWith}, {@code True}/{@code False}, and {@code Like} patterns that are a plain prefix).
 * The rest become residual predicates evaluated on each record: {@code IgnoreCase} comparisons,
 * {@code EndingWith}, general {@code Like}, {@code Regex}, {@code IsEmpty}. All follow the engine's
 * SQL semantics: a comparison with a missing property is unknown, so {@code Not}, {@code NotIn},
 * {@code NotLike} and {@code NotContaining} do not match records where the property is missing.
 */
public class ProtoBaseQueryCreator extends AbstractQueryCreator<ProtoBaseQuery, Criteria> {

    private final ProtoBaseMappingContext mappingContext;

    public ProtoBaseQueryCreator(PartTree tree, ParameterAccessor parameters, ProtoBaseMappingContext mappingContext) {
        super(tree, parameters);
        this.mappingContext = mappingContext;
    }

    @Override
    protected Criteria create(Part part, Iterator<Object> values) {
        return from(part, values);
    }

    @Override
    protected Criteria and(Part part, Criteria base, Iterator<Object> values) {
        return base.and(from(part, values));
    }

    @Override
    protected Criteria or(Criteria base, Criteria criteria) {
        return base.or(criteria);
    }

    @Override
    protected ProtoBaseQuery complete(Criteria criteria, Sort sort) {
        return ProtoBaseQuery.where(criteria == null ? Criteria.all() : criteria).orderBy(sort);
    }

    /**
     * The stored path of a property path: the dotted property names, except that a path through a
     * {@code @Reference} ends at the reference when it continues to the referenced id
     * ({@code ownerId} reads the stored id).
     */
    private String pathOf(PropertyPath path) {
        StringBuilder out = new StringBuilder();
        ProtoBasePersistentEntity<?> entity = mappingContext.getPersistentEntity(path.getOwningType());
        for (PropertyPath p = path; p != null; p = p.next()) {
            if (!out.isEmpty()) {
                out.append('.');
            }
            out.append(p.getSegment());
            ProtoBasePersistentProperty property = entity == null ? null : entity.getPersistentProperty(p.getSegment());
            if (property != null && property.isAssociation()) {
                return out.toString();
            }
            entity = property != null && property.isEntity()
                    ? mappingContext.getPersistentEntity(property.getActualType())
                    : null;
        }
        return out.toString();
    }

    /** The property a path ends at, or {@code null} when it leaves the mapped model. */
    private ProtoBasePersistentProperty leafOf(PropertyPath path) {
        ProtoBasePersistentEntity<?> entity = mappingContext.getPersistentEntity(path.getOwningType());
        ProtoBasePersistentProperty property = null;
        for (PropertyPath p = path; p != null && entity != null; p = p.next()) {
            property = entity.getPersistentProperty(p.getSegment());
            if (property == null || property.isAssociation()) {
                return property;
            }
            entity = property.isEntity() ? mappingContext.getPersistentEntity(property.getActualType()) : null;
        }
        return property;
    }

    private Criteria from(Part part, Iterator<Object> arguments) {
        String path = pathOf(part.getProperty());
        ProtoBasePersistentProperty leaf = leafOf(part.getProperty());
        Iterator<Object> values = leaf != null && leaf.isAssociation() ? referencesAsIds(leaf, arguments) : arguments;
        Field field = Field.of(path);
        boolean ignoreCase = part.shouldIgnoreCase() != Part.IgnoreCaseType.NEVER;
        Part.Type type = part.getType();
        return switch (type) {
            case SIMPLE_PROPERTY -> {
                Object v = values.next();
                if (v == null) {
                    yield Criteria.of(field.isNull());
                }
                yield ignoreCase && v instanceof String s
                        ? predicate(path + " equalsIgnoreCase " + s, field, x -> x instanceof String t
                                && t.equalsIgnoreCase(s))
                        : Criteria.of(field.eq(v));
            }
            case NEGATING_SIMPLE_PROPERTY -> {
                Object v = values.next();
                if (v == null) {
                    yield Criteria.of(field.isNotNull());
                }
                yield ignoreCase && v instanceof String s
                        ? predicate(path + " notEqualsIgnoreCase " + s, field, x -> !(x instanceof String t)
                                || !t.equalsIgnoreCase(s))
                        : Criteria.of(field.ne(v));
            }
            case LESS_THAN, BEFORE -> Criteria.of(field.lt(values.next()));
            case LESS_THAN_EQUAL -> Criteria.of(field.le(values.next()));
            case GREATER_THAN, AFTER -> Criteria.of(field.gt(values.next()));
            case GREATER_THAN_EQUAL -> Criteria.of(field.ge(values.next()));
            case BETWEEN -> Criteria.of(field.between(values.next(), values.next()));
            case IN -> in(path, field, values.next(), ignoreCase, false);
            case NOT_IN -> in(path, field, values.next(), ignoreCase, true);
            case IS_NULL -> Criteria.of(field.isNull());
            case IS_NOT_NULL, EXISTS -> Criteria.of(field.isNotNull());
            case TRUE -> Criteria.of(field.eq(true));
            case FALSE -> Criteria.of(field.eq(false));
            case STARTING_WITH -> {
                String s = string(part, values.next());
                yield ignoreCase ? predicate(path + " startsWithIgnoreCase " + s, field,
                        x -> x instanceof String t && t.regionMatches(true, 0, s, 0, s.length()))
                        : Criteria.of(field.startsWith(s));
            }
            case ENDING_WITH -> {
                String s = string(part, values.next());
                yield predicate(path + " endsWith " + s, field, x -> x instanceof String t && (ignoreCase
                        ? t.regionMatches(true, t.length() - s.length(), s, 0, s.length()) : t.endsWith(s)));
            }
            case CONTAINING -> contains(path, field, values.next(), ignoreCase, false);
            case NOT_CONTAINING -> contains(path, field, values.next(), ignoreCase, true);
            case LIKE -> like(path, field, string(part, values.next()), ignoreCase, false);
            case NOT_LIKE -> like(path, field, string(part, values.next()), ignoreCase, true);
            case REGEX -> {
                Object v = values.next();
                Pattern p = v instanceof Pattern given ? given
                        : Pattern.compile(string(part, v), ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
                yield predicate(path + " matches " + p, field, x -> x instanceof String t && p.matcher(t).matches());
            }
            case IS_EMPTY -> Criteria.matching(path + " isEmpty", r -> isEmpty(field.apply(r)));
            case IS_NOT_EMPTY -> Criteria.matching(path + " isNotEmpty", r -> !isEmpty(field.apply(r)));
            default -> throw new InvalidDataAccessApiUsageException("ProtoBase repositories do not support the "
                    + type + " keyword (in " + part + "); use a supported keyword or a custom repository method");
        };
    }

    /** Arguments compared with a reference: entities stand for their ids, as the reference is stored. */
    private Iterator<Object> referencesAsIds(ProtoBasePersistentProperty reference, Iterator<Object> arguments) {
        ProtoBasePersistentEntity<?> target = mappingContext.getRequiredPersistentEntity(reference.getActualType());
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return arguments.hasNext();
            }

            @Override
            public Object next() {
                Object v = arguments.next();
                if (v instanceof Collection<?> c) {
                    return c.stream().map(e -> target.getType().isInstance(e)
                            ? target.getIdentifierAccessor(e).getRequiredIdentifier() : e).toList();
                }
                return v != null && target.getType().isInstance(v)
                        ? target.getIdentifierAccessor(v).getRequiredIdentifier() : v;
            }
        };
    }

    /** A predicate on the value at {@code field}, false when it is missing (SQL's UNKNOWN is not a match). */
    private static Criteria predicate(String description, Field field, java.util.function.Predicate<Object> test) {
        return Criteria.matching(description, r -> {
            Object v = field.apply(r);
            return v != null && !isAbsent(v) && test.test(v);
        });
    }

    private static boolean isAbsent(Object v) {
        return v == io.protobase.index.FieldPath.ABSENT;
    }

    private static String string(Part part, Object v) {
        if (v instanceof String s) {
            return s;
        }
        throw new InvalidDataAccessApiUsageException("The argument of " + part + " must be a String, got "
                + (v == null ? "null" : v.getClass().getName()));
    }

    private static List<Object> list(Object v) {
        if (v instanceof Collection<?> c) {
            return new ArrayList<>(c);
        }
        if (v instanceof Object[] a) {
            return Arrays.asList(a);
        }
        if (v != null && v.getClass().isArray()) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < java.lang.reflect.Array.getLength(v); i++) {
                out.add(java.lang.reflect.Array.get(v, i));
            }
            return out;
        }
        return v == null ? List.of() : List.of(v);
    }

    private static Criteria in(String path, Field field, Object v, boolean ignoreCase, boolean negate) {
        List<Object> candidates = list(v);
        if (ignoreCase && candidates.stream().allMatch(c -> c instanceof String)) {
            List<String> lower = candidates.stream().map(c -> ((String) c).toLowerCase(Locale.ROOT)).toList();
            return predicate(path + (negate ? " notIn " : " in ") + lower + " ignoring case", field,
                    x -> x instanceof String t && lower.contains(t.toLowerCase(Locale.ROOT)) != negate);
        }
        Expression e = field.in(candidates);
        return Criteria.of(negate ? e.not() : e);
    }

    private static Criteria contains(String path, Field field, Object v, boolean ignoreCase, boolean negate) {
        if (ignoreCase && v instanceof String s) {
            String lower = s.toLowerCase(Locale.ROOT);
            return predicate(path + (negate ? " notContains " : " contains ") + s + " ignoring case", field, x -> {
                boolean found;
                if (x instanceof String t) {
                    found = t.toLowerCase(Locale.ROOT).contains(lower);
                } else if (x instanceof Collection<?> c) {
                    found = c.stream().anyMatch(e -> e instanceof String t && t.equalsIgnoreCase(s));
                } else {
                    found = false;
                }
                return found != negate;
            });
        }
        Expression e = field.contains(v);
        return Criteria.of(negate ? e.not() : e);
    }

    /**
     * SQL {@code LIKE}: {@code %} any run of characters, {@code _} one character. A case-sensitive
     * pattern that is a literal prefix followed by one {@code %} is a {@code startsWith} (indexable);
     * others are matched with a regular expression.
     */
    private static Criteria like(String path, Field field, String pattern, boolean ignoreCase, boolean negate) {
        int percent = pattern.indexOf('%');
        if (!ignoreCase && !negate && percent == pattern.length() - 1 && pattern.indexOf('_') < 0) {
            return Criteria.of(field.startsWith(pattern.substring(0, percent)));
        }
        if (!ignoreCase && pattern.indexOf('%') < 0 && pattern.indexOf('_') < 0) {
            return Criteria.of(negate ? field.ne(pattern) : field.eq(pattern));
        }
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '%' || c == '_') {
                regex.append(Pattern.quote(literal.toString()));
                literal.setLength(0);
                regex.append(c == '%' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        regex.append(Pattern.quote(literal.toString()));
        Pattern p = Pattern.compile(regex.toString(), Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE
                | Pattern.UNICODE_CASE : 0));
        return predicate(path + (negate ? " notLike " : " like ") + pattern, field,
                x -> x instanceof String t && p.matcher(t).matches() != negate);
    }

    private static boolean isEmpty(Object v) {
        if (v == null || isAbsent(v)) {
            return true;
        }
        if (v instanceof String s) {
            return s.isEmpty();
        }
        if (v instanceof Collection<?> c) {
            return c.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return m.isEmpty();
        }
        if (v instanceof io.protobase.collection.ProtoCollection c) {
            return c.count() == 0;
        }
        return false;
    }
}
