package io.protobase.spring.autoconfigure;

import org.springframework.boot.json.JsonParser;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.util.ClassUtils;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The {@code protobase.*} keys as the starter's configuration metadata
 * ({@value #LOCATION}, which IDEs read for completion) describes them: their type and the hints of
 * {@code additional-spring-configuration-metadata.json}, whose first value is an example and says the
 * accepted form. The startup report of a malformed value says what to write from it, so the keys an
 * IDE completes and those a report explains are one list and cannot drift apart.
 *
 * <p>A hint's first value carries the form ("A positive duration.") and may be followed by further
 * examples without a description; a later value with a description is an alternative with its own
 * meaning ("0s", "To keep no history."). They read as "a positive duration such as 1s or 200ms" and
 * "a duration such as 1m, 2h or 7d, or 0s to keep no history".
 */
final class ProtoBasePropertyMetadata {

    static final String LOCATION = "META-INF/spring-configuration-metadata.json";

    private static final String PREFIX = "protobase.";

    private final Map<String, String> types;
    private final Map<String, List<Map<String, Object>>> hints;
    private final ClassLoader classLoader;

    private ProtoBasePropertyMetadata(Map<String, String> types, Map<String, List<Map<String, Object>>> hints,
            ClassLoader classLoader) {
        this.types = types;
        this.hints = hints;
        this.classLoader = classLoader;
    }

    /** The metadata of every {@value #LOCATION} {@code classLoader} sees, keeping the {@code protobase.*} keys. */
    static ProtoBasePropertyMetadata load(ClassLoader classLoader) {
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, List<Map<String, Object>>> hints = new LinkedHashMap<>();
        JsonParser parser = JsonParserFactory.getJsonParser();
        try {
            Enumeration<URL> resources = classLoader.getResources(LOCATION);
            while (resources.hasMoreElements()) {
                Map<String, Object> metadata = parser.parseMap(read(resources.nextElement()));
                for (Map<String, Object> property : entries(metadata, "properties")) {
                    if (property.get("name") instanceof String name && name.startsWith(PREFIX)) {
                        types.put(name, property.get("type") instanceof String type ? type : "");
                    }
                }
                for (Map<String, Object> hint : entries(metadata, "hints")) {
                    if (hint.get("name") instanceof String name && name.startsWith(PREFIX)) {
                        hints.put(name, entries(hint, "values"));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + LOCATION, e);
        }
        return new ProtoBasePropertyMetadata(types, hints, classLoader);
    }

    /** The {@code protobase.*} keys of the metadata. */
    List<String> keys() {
        return new ArrayList<>(types.keySet());
    }

    /**
     * What {@code key} accepts, as the end of "Set key to ...": from its hint, else from its type
     * (a boolean, an enum's values), else empty (a key the metadata does not describe).
     */
    Optional<String> expected(String key) {
        List<Map<String, Object>> values = hints.getOrDefault(key, List.of());
        if (!values.isEmpty() && values.get(0).get("description") instanceof String form) {
            return Optional.of(fromHint(form, values));
        }
        String type = types.get(key);
        if (type == null) {
            return Optional.empty();
        }
        if (type.equals(Boolean.class.getName())) {
            return Optional.of("true or false");
        }
        if (ClassUtils.isPresent(type, classLoader)) {
            Class<?> resolved = ClassUtils.resolveClassName(type, classLoader);
            if (resolved.isEnum()) {
                return Optional.of("one of " + validValues(resolved));
            }
        }
        return Optional.empty();
    }

    /** The values an enum property accepts, as written in configuration. */
    static String validValues(Class<?> enumType) {
        return Arrays.stream(enumType.getEnumConstants())
                .map(c -> c instanceof StorageType t ? t.value()
                        : ((Enum<?>) c).name().toLowerCase(Locale.ROOT).replace('_', '-'))
                .collect(Collectors.joining(", "));
    }

    private static String fromHint(String form, List<Map<String, Object>> values) {
        List<String> examples = new ArrayList<>();
        List<String> alternatives = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            Object value = values.get(i).get("value");
            Object description = values.get(i).get("description");
            if (i == 0 || !(description instanceof String)) {
                examples.add(String.valueOf(value));
            } else {
                alternatives.add(value + " " + sentenceAsPhrase((String) description));
            }
        }
        int last = examples.size() - 1;
        String exampleList = last == 0 ? examples.get(0)
                : String.join(", ", examples.subList(0, last)) + " or " + examples.get(last);
        StringBuilder expected = new StringBuilder(sentenceAsPhrase(form)).append(" such as ").append(exampleList);
        alternatives.forEach(a -> expected.append(", or ").append(a));
        return expected.toString();
    }

    /** "A positive duration." becomes "a positive duration". */
    private static String sentenceAsPhrase(String sentence) {
        String phrase = sentence.endsWith(".") ? sentence.substring(0, sentence.length() - 1) : sentence;
        return phrase.isEmpty() ? phrase : Character.toLowerCase(phrase.charAt(0)) + phrase.substring(1);
    }

    private static String read(URL url) throws IOException {
        try (InputStream in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> entries(Map<String, Object> map, String key) {
        if (!(map.get(key) instanceof List<?> list)) {
            return Collections.emptyList();
        }
        List<Map<String, Object>> entries = new ArrayList<>();
        for (Object entry : list) {
            if (entry instanceof Map<?, ?> m) {
                entries.add((Map<String, Object>) m);
            }
        }
        return entries;
    }
}
