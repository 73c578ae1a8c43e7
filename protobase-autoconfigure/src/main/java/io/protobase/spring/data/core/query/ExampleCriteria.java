package io.protobase.spring.data.core.query;

import io.protobase.query.Field;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentProperty;
import org.springframework.data.domain.Example;
import org.springframework.data.domain.ExampleMatcher;
import org.springframework.data.mapping.PersistentPropertyAccessor;
import org.springframework.data.support.ExampleMatcherAccessor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@link Criteria} of a query by example: one term per non-null singular property of the probe
 * (nested value objects path by path, references by id), combined with AND (or OR for
 * {@code matchingAny}). Exact, case-sensitive matches and case-sensitive {@code STARTING} string
 * matches are engine expressions, so they use indexes; other string matchers are predicates.
 * {@code @Version} properties and collection or map properties are not matched (as in Spring Data JPA).
 */
public final class ExampleCriteria {

    private ExampleCriteria() {
    }

    /** The criteria of {@code example}. */
    public static Criteria of(Example<?> example, ProtoBaseMappingContext mappingContext) {
        ExampleMatcherAccessor matcher = new ExampleMatcherAccessor(example.getMatcher());
        List<Criteria> terms = new ArrayList<>();
        collect(mappingContext.getRequiredPersistentEntity(example.getProbeType()), example.getProbe(), "", matcher,
                mappingContext, terms);
        Criteria result = Criteria.all();
        boolean any = example.getMatcher().isAnyMatching();
        for (int i = 0; i < terms.size(); i++) {
            result = i == 0 ? terms.get(0) : any ? result.or(terms.get(i)) : result.and(terms.get(i));
        }
        return result;
    }

    private static void collect(ProtoBasePersistentEntity<?> entity, Object bean, String prefix,
            ExampleMatcherAccessor matcher, ProtoBaseMappingContext mappingContext, List<Criteria> terms) {
        PersistentPropertyAccessor<?> accessor = entity.getPropertyAccessor(bean);
        for (ProtoBasePersistentProperty p : entity) {
            String path = prefix + p.getName();
            if (p.isVersionProperty() || p.isTransient() || p.isCollectionLike() || p.isMap()
                    || matcher.isIgnoredPath(path)) {
                continue;
            }
            Optional<Object> transformed = matcher.getValueTransformerForPath(path)
                    .apply(Optional.ofNullable(accessor.getProperty(p)));
            Field field = Field.of(path);
            if (transformed.isEmpty()) {
                if (matcher.getNullHandler() == ExampleMatcher.NullHandler.INCLUDE) {
                    terms.add(Criteria.of(field.isNull()));
                }
                continue;
            }
            Object value = transformed.get();
            if (p.isAssociation()) {
                terms.add(Criteria.of(field.eq(mappingContext.getRequiredPersistentEntity(p.getActualType())
                        .getIdentifierAccessor(value).getRequiredIdentifier())));
            } else if (p.isEntity()) {
                collect(mappingContext.getRequiredPersistentEntity(p.getActualType()), value, path + ".", matcher,
                        mappingContext, terms);
            } else if (value instanceof String s) {
                terms.add(string(path, field, s, matcher.getStringMatcherForPath(path),
                        matcher.isIgnoreCaseForPath(path)));
            } else {
                terms.add(Criteria.of(field.eq(value)));
            }
        }
    }

    private static Criteria string(String path, Field field, String s, ExampleMatcher.StringMatcher how,
            boolean ignoreCase) {
        if (!ignoreCase && (how == ExampleMatcher.StringMatcher.DEFAULT || how == ExampleMatcher.StringMatcher.EXACT)) {
            return Criteria.of(field.eq(s));
        }
        if (!ignoreCase && how == ExampleMatcher.StringMatcher.STARTING) {
            return Criteria.of(field.startsWith(s));
        }
        String probe = ignoreCase ? s.toLowerCase(Locale.ROOT) : s;
        Pattern regex = how == ExampleMatcher.StringMatcher.REGEX
                ? Pattern.compile(s, ignoreCase ? Pattern.CASE_INSENSITIVE : 0) : null;
        return Criteria.matching(path + " " + how + (ignoreCase ? " ignoring case " : " ") + s, r -> {
            if (!(field.apply(r) instanceof String v)) {
                return false;
            }
            String value = ignoreCase ? v.toLowerCase(Locale.ROOT) : v;
            return switch (how) {
                case DEFAULT, EXACT -> value.equals(probe);
                case STARTING -> value.startsWith(probe);
                case ENDING -> value.endsWith(probe);
                case CONTAINING -> value.contains(probe);
                case REGEX -> regex.matcher(v).matches();
            };
        });
    }
}
