package io.protobase.spring.data.repository;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.query.Explanation;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.repository.PersonView.Status;
import io.protobase.spring.data.repository.query.ProtoBasePartTreeQuery;
import io.protobase.spring.data.repository.support.ProtoBaseRepositoryFactory;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.IncorrectResultSizeDataAccessException;
import org.springframework.data.domain.Example;
import org.springframework.data.domain.ExampleMatcher;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Slice;
import org.springframework.data.domain.Sort;
import org.springframework.data.projection.SpelAwareProxyProjectionFactory;
import org.springframework.data.repository.core.support.DefaultRepositoryMetadata;
import org.springframework.data.repository.query.DefaultParameters;
import org.springframework.data.repository.query.QueryMethod;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The repository contract, run once over an entity with {@code @Indexed} properties and once over
 * the same entity without: every derived keyword, CRUD, paging, sorting and query by example must
 * give what an in-memory evaluation of the same condition (with SQL's null rules) gives, and the
 * subclasses assert through {@code explain()} whether the index or a scan answered.
 */
abstract class PersonRepositoryContractTests<T extends PersonView> {

    static final List<String> CITIES = List.of("Berlin", "Paris", "Rome", "Madrid", "Lisbon", "Vienna", "Prague",
            "Oslo", "Athens", "Dublin");
    static final List<String> NAMES = List.of("Anna", "Ben", "Carla", "Dieter", "Eva", "Frank", "Greta", "Hans",
            "Ines", "Jonas", "anneliese", "Bernd");
    static final List<String> TAGS = List.of("vip", "new", "blocked", "beta");

    ObjectSpace space;
    ProtoBaseTemplate template;
    PersonQueries<T> repository;
    List<T> people;

    abstract Class<? extends PersonQueries<T>> repositoryInterface();

    abstract Class<T> domainType();

    abstract T person(String id, String firstname, String lastname, String city, Integer age, boolean active,
            List<String> tags, Status status, String addressCity);

    /** Asserts how a query the index can answer was run. */
    abstract void assertIndexable(Explanation explanation);

    @BeforeEach
    void setUp() {
        space = new ObjectSpace(new MemoryStorage());
        Database db = space.getDatabase("test");
        template = new ProtoBaseTemplate(db, new ProtoBaseMappingContext());
        repository = new ProtoBaseRepositoryFactory(template).getRepository(repositoryInterface());
        Random random = new Random(7);
        people = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            List<String> tags = TAGS.stream().filter(t -> random.nextInt(3) == 0).toList();
            people.add(person(String.format("p%03d", i), NAMES.get(random.nextInt(NAMES.size())),
                    random.nextInt(5) == 0 ? null : "Last" + random.nextInt(50),
                    random.nextInt(20) == 0 ? null : CITIES.get(random.nextInt(CITIES.size())),
                    random.nextInt(20) == 0 ? null : 18 + random.nextInt(63), random.nextBoolean(), tags,
                    Status.values()[random.nextInt(3)],
                    random.nextInt(10) == 0 ? null : CITIES.get(random.nextInt(CITIES.size()))));
        }
        repository.saveAll(people);
    }

    @AfterEach
    void tearDown() {
        space.close();
    }

    // ------------------------------------------------------------------ helpers

    static List<String> ids(Collection<? extends PersonView> found) {
        return found.stream().map(PersonView::id).sorted().toList();
    }

    List<String> expected(Predicate<PersonView> condition) {
        return people.stream().filter(condition).map(PersonView::id).sorted().toList();
    }

    void check(List<T> found, Predicate<PersonView> condition) {
        List<String> want = expected(condition);
        assertThat(ids(found)).isEqualTo(want);
    }

    Explanation explain(String method, Class<?>[] parameterTypes, Object... arguments) throws Exception {
        Method m = repositoryInterface().getMethod(method, parameterTypes);
        QueryMethod queryMethod = new QueryMethod(m, new DefaultRepositoryMetadata(repositoryInterface()),
                new SpelAwareProxyProjectionFactory(), DefaultParameters::new);
        return template.explain(new ProtoBasePartTreeQuery(queryMethod, template).createQuery(arguments), domainType());
    }

    static boolean like(String value, String regex) {
        return value != null && Pattern.compile(regex, Pattern.DOTALL).matcher(value).matches();
    }

    // ------------------------------------------------------------------ CRUD

    @Test
    void savesFindsCountsAndDeletes() {
        assertThat(repository.count()).isEqualTo(400);
        T first = people.get(0);
        assertThat(repository.findById(first.id())).contains(first);
        assertThat(repository.existsById("p999")).isFalse();
        assertThat(repository.findAllById(List.of("p002", "p999", "p001"))).extracting(PersonView::id)
                .containsExactly("p002", "p001");

        T changed = person(first.id(), "Zoe", null, "Berlin", 99, true, List.of("x"), Status.CLOSED, "Oslo");
        repository.save(changed);
        assertThat(repository.findById(first.id())).contains(changed);
        assertThat(repository.count()).isEqualTo(400);

        repository.deleteById(first.id());
        repository.delete(people.get(1));
        repository.deleteAllById(List.of("p002", "p003"));
        repository.deleteAll(List.of(people.get(4)));
        assertThat(repository.count()).isEqualTo(395);
        assertThat(repository.findById(first.id())).isEmpty();

        repository.deleteAll();
        assertThat(repository.count()).isZero();
        assertThat(repository.findAll()).isEmpty();
        repository.save(changed);
        assertThat(repository.findByCity("Berlin")).containsExactly(changed);
    }

    @Test
    void findAllReadsEveryEntityInIdOrder() {
        assertThat(repository.findAll()).extracting(PersonView::id).isEqualTo(expected(p -> true));
    }

    // ------------------------------------------------------------------ keywords

    @Test
    void is() throws Exception {
        check(repository.findByCity("Berlin"), p -> "Berlin".equals(p.city()));
        check(repository.findByCityIs("Rome"), p -> "Rome".equals(p.city()));
        assertIndexable(explain("findByCity", new Class<?>[] { String.class }, "Berlin"));
    }

    @Test
    void and() throws Exception {
        check(repository.findByCityAndAgeGreaterThan("Paris", 40),
                p -> "Paris".equals(p.city()) && p.age() != null && p.age() > 40);
        assertIndexable(explain("findByCityAndAgeGreaterThan", new Class<?>[] { String.class, int.class }, "Paris",
                40));
    }

    @Test
    void or() throws Exception {
        check(repository.findByCityOrAge("Oslo", 30), p -> "Oslo".equals(p.city()) || Objects.equals(p.age(), 30));
        assertIndexable(explain("findByCityOrAge", new Class<?>[] { String.class, Integer.class }, "Oslo", 30));
    }

    @Test
    void not() throws Exception {
        check(repository.findByCityNot("Berlin"), p -> p.city() != null && !p.city().equals("Berlin"));
        assertThat(explain("findByCityNot", new Class<?>[] { String.class }, "Berlin").usesScan()).isTrue();
    }

    @Test
    void comparisons() throws Exception {
        check(repository.findByAgeLessThan(25), p -> p.age() != null && p.age() < 25);
        check(repository.findByAgeLessThanEqual(25), p -> p.age() != null && p.age() <= 25);
        check(repository.findByAgeGreaterThan(75), p -> p.age() != null && p.age() > 75);
        check(repository.findByAgeGreaterThanEqual(75), p -> p.age() != null && p.age() >= 75);
        assertIndexable(explain("findByAgeLessThan", new Class<?>[] { int.class }, 25));
        assertIndexable(explain("findByAgeGreaterThanEqual", new Class<?>[] { int.class }, 75));
    }

    @Test
    void between() throws Exception {
        check(repository.findByAgeBetween(30, 34), p -> p.age() != null && p.age() >= 30 && p.age() <= 34);
        assertIndexable(explain("findByAgeBetween", new Class<?>[] { int.class, int.class }, 30, 34));
    }

    @Test
    void inAndNotIn() throws Exception {
        check(repository.findByCityIn(List.of("Rome", "Oslo")), p -> p.city() != null
                && List.of("Rome", "Oslo").contains(p.city()));
        check(repository.findByCityNotIn(List.of("Rome", "Oslo")),
                p -> p.city() != null && !List.of("Rome", "Oslo").contains(p.city()));
        assertIndexable(explain("findByCityIn", new Class<?>[] { Collection.class }, List.of("Rome", "Oslo")));
    }

    @Test
    void isNullAndIsNotNull() {
        check(repository.findByLastnameIsNull(), p -> p.lastname() == null);
        check(repository.findByLastnameIsNotNull(), p -> p.lastname() != null);
    }

    @Test
    void like() throws Exception {
        check(repository.findByFirstnameLike("%n_"), p -> like(p.firstname(), ".*n."));
        check(repository.findByFirstnameLike("A%"), p -> p.firstname().startsWith("A"));
        check(repository.findByFirstnameNotLike("%a%"), p -> !p.firstname().contains("a"));
        check(repository.findByCityLike("Ber%"), p -> p.city() != null && p.city().startsWith("Ber"));
        assertIndexable(explain("findByCityLike", new Class<?>[] { String.class }, "Ber%"));
    }

    @Test
    void startingEndingContaining() throws Exception {
        check(repository.findByFirstnameStartingWith("B"), p -> p.firstname().startsWith("B"));
        check(repository.findByCityStartingWith("Ma"), p -> p.city() != null && p.city().startsWith("Ma"));
        check(repository.findByFirstnameEndingWith("a"), p -> p.firstname().endsWith("a"));
        check(repository.findByFirstnameContaining("an"), p -> p.firstname().contains("an"));
        check(repository.findByTagsContaining("vip"), p -> p.tags().contains("vip"));
        assertIndexable(explain("findByCityStartingWith", new Class<?>[] { String.class }, "Ma"));
    }

    @Test
    void ignoreCase() throws Exception {
        check(repository.findByCityIgnoreCase("bErLiN"), p -> "Berlin".equals(p.city()));
        check(repository.findByFirstnameStartingWithIgnoreCase("an"), p ->
                p.firstname().toLowerCase().startsWith("an"));
        assertThat(explain("findByCityIgnoreCase", new Class<?>[] { String.class }, "berlin").usesScan()).isTrue();
    }

    @Test
    void trueAndFalse() {
        check(repository.findByActiveTrue(), PersonView::active);
        check(repository.findByActiveFalse(), p -> !p.active());
    }

    @Test
    void enumsAndNestedPaths() throws Exception {
        check(repository.findByStatus(Status.SUSPENDED), p -> p.status() == Status.SUSPENDED);
        check(repository.findByAddressCity("Vienna"), p -> "Vienna".equals(p.addressCity()));
        assertIndexable(explain("findByAddressCity", new Class<?>[] { String.class }, "Vienna"));
    }

    // ------------------------------------------------------------------ ordering, limits, paging

    static final Comparator<PersonView> AGE_DESC_NULLS_FIRST = Comparator.comparing(PersonView::age,
            Comparator.nullsFirst(Comparator.<Integer>reverseOrder()));

    static List<String> ageAndName(List<? extends PersonView> found) {
        return found.stream().map(p -> p.age() + "|" + p.firstname()).toList();
    }

    @Test
    void orderBy() {
        List<T> found = repository.findByCityOrderByAgeDescFirstnameAsc("Rome");
        List<PersonView> model = people.stream().filter(p -> "Rome".equals(p.city()))
                .sorted(AGE_DESC_NULLS_FIRST.thenComparing(PersonView::firstname)).map(p -> (PersonView) p).toList();
        assertThat(ageAndName(found)).isEqualTo(ageAndName(model));
    }

    @Test
    void sortParameter() {
        List<T> found = repository.findByCity("Paris", Sort.by(Sort.Order.desc("firstname"), Sort.Order.asc("id")));
        assertThat(found).extracting(PersonView::id).isEqualTo(people.stream().filter(p -> "Paris".equals(p.city()))
                .sorted(Comparator.comparing(PersonView::firstname).reversed().thenComparing(PersonView::id))
                .map(PersonView::id).toList());
    }

    @Test
    void topAndFirst() {
        assertThat(repository.findTop3ByCityOrderByAgeAscIdAsc("Madrid")).extracting(PersonView::id)
                .isEqualTo(people.stream().filter(p -> "Madrid".equals(p.city()))
                        .sorted(Comparator.comparing(PersonView::age,
                                Comparator.nullsLast(Comparator.<Integer>naturalOrder()))
                                .thenComparing(PersonView::id))
                        .limit(3).map(PersonView::id).toList());
        assertThat(repository.findFirstByOrderByAgeDescIdAsc().map(PersonView::id)).isEqualTo(people.stream()
                .sorted(AGE_DESC_NULLS_FIRST.thenComparing(PersonView::id)).findFirst().map(PersonView::id));
    }

    @Test
    void pagesAndSlices() {
        List<String> paris = expected(p -> "Paris".equals(p.city()));
        Page<T> page = repository.findByCity("Paris", PageRequest.of(1, 5, Sort.by("id")));
        assertThat(page.getContent()).extracting(PersonView::id).isEqualTo(paris.subList(5, 10));
        assertThat(page.getTotalElements()).isEqualTo(paris.size());
        assertThat(page.getTotalPages()).isEqualTo((paris.size() + 4) / 5);

        List<String> older = expected(p -> p.age() != null && p.age() > 50);
        Slice<T> slice = repository.findByAgeGreaterThan(50, PageRequest.of(2, 10, Sort.by("id")));
        assertThat(slice.getContent()).extracting(PersonView::id).isEqualTo(older.subList(20, 30));
        assertThat(slice.hasNext()).isEqualTo(older.size() > 30);
        int lastPage = (older.size() - 1) / 10;
        Slice<T> last = repository.findByAgeGreaterThan(50, PageRequest.of(lastPage, 10, Sort.by("id")));
        assertThat(last.hasNext()).isFalse();
        assertThat(last.getContent()).extracting(PersonView::id).isEqualTo(older.subList(lastPage * 10, older.size()));
    }

    @Test
    void findAllWithPagingAndSorting() {
        Sort byName = Sort.by(Sort.Order.asc("firstname"), Sort.Order.desc("id"));
        List<String> model = people.stream().sorted(Comparator.comparing(PersonView::firstname)
                .thenComparing(Comparator.comparing(PersonView::id).reversed())).map(PersonView::id).toList();
        assertThat(repository.findAll(byName)).extracting(PersonView::id).isEqualTo(model);
        Page<T> page = repository.findAll(PageRequest.of(3, 25, byName));
        assertThat(page.getContent()).extracting(PersonView::id).isEqualTo(model.subList(75, 100));
        assertThat(page.getTotalElements()).isEqualTo(400);
        assertThat(repository.findAll(Sort.by(Sort.Order.asc("firstname").ignoreCase(), Sort.Order.asc("id"))))
                .extracting(PersonView::id).isEqualTo(people.stream().sorted(Comparator.comparing((PersonView p) ->
                        p.firstname().toLowerCase()).thenComparing(PersonView::id)).map(PersonView::id).toList());
    }

    @Test
    void streams() {
        try (var stream = repository.streamByCity("Lisbon")) {
            assertThat(stream.map(PersonView::id).sorted().toList())
                    .isEqualTo(expected(p -> "Lisbon".equals(p.city())));
        }
    }

    // ------------------------------------------------------------------ count, exists, delete

    @Test
    void countExistsAndDeleteBy() {
        List<String> athens = expected(p -> "Athens".equals(p.city()));
        assertThat(repository.countByCity("Athens")).isEqualTo(athens.size());
        assertThat(repository.existsByCity("Athens")).isTrue();
        assertThat(repository.existsByCity("Nowhere")).isFalse();
        assertThat(repository.deleteByCity("Athens")).isEqualTo(athens.size());
        assertThat(repository.countByCity("Athens")).isZero();
        List<String> aged = expected(p -> Objects.equals(p.age(), 44) && !"Athens".equals(p.city()));
        assertThat(ids(repository.removeByAge(44))).isEqualTo(aged);
        assertThat(repository.count()).isEqualTo(400 - athens.size() - aged.size());
    }

    // ------------------------------------------------------------------ query by example

    @Test
    void queryByExample() {
        T probe = person(null, null, null, "Berlin", null, true, null, null, null);
        check(repository.findAll(Example.of(probe)), p -> "Berlin".equals(p.city()) && p.active());
        assertThat(repository.count(Example.of(probe)))
                .isEqualTo(expected(p -> "Berlin".equals(p.city()) && p.active()).size());

        T names = person(null, "AN", null, null, null, false, null, null, null);
        ExampleMatcher startsIgnoringCase = ExampleMatcher.matching().withIgnorePaths("active")
                .withStringMatcher(ExampleMatcher.StringMatcher.STARTING).withIgnoreCase();
        check(repository.findAll(Example.of(names, startsIgnoringCase)), p ->
                p.firstname().toLowerCase().startsWith("an"));

        T either = person(null, "Ben", null, "Oslo", null, false, null, null, null);
        check(repository.findAll(Example.of(either, ExampleMatcher.matchingAny().withIgnorePaths("active"))),
                p -> p.firstname().equals("Ben") || "Oslo".equals(p.city()));

        Page<T> page = repository.findAll(Example.of(probe), PageRequest.of(0, 3, Sort.by("id")));
        assertThat(page.getContent()).extracting(PersonView::id)
                .isEqualTo(expected(p -> "Berlin".equals(p.city()) && p.active()).subList(0, 3));
        assertThat(repository.exists(Example.of(probe))).isTrue();
        assertThatThrownBy(() -> repository.findOne(Example.of(probe)))
                .isInstanceOf(IncorrectResultSizeDataAccessException.class);
        T one = people.get(10);
        T exact = person(one.id(), null, null, null, null, one.active(), null, null, null);
        assertThat(repository.findOne(Example.of(exact))).contains(one);
        List<T> firstTwo = repository.findBy(Example.of(probe), q -> q.sortBy(Sort.by("id")).limit(2).all());
        assertThat(firstTwo).extracting(PersonView::id)
                .isEqualTo(expected(p -> "Berlin".equals(p.city()) && p.active()).subList(0, 2));
        long counted = repository.findBy(Example.of(probe), q -> q.count());
        assertThat(counted).isEqualTo(repository.count(Example.of(probe)));
        Optional<T> none = repository.findOne(Example.of(person(null, null, null, "Nowhere", null, true, null, null,
                null)));
        assertThat(none).isEmpty();
    }
}
