package io.protobase.spring.data.repository;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Slice;
import org.springframework.data.domain.Sort;
import org.springframework.data.repository.NoRepositoryBean;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Every derived-query keyword, declared once for the indexed and the plain person. */
@NoRepositoryBean
public interface PersonQueries<T extends PersonView> extends ProtoBaseRepository<T, String> {

    List<T> findByCity(String city);

    List<T> findByCityIs(String city);

    List<T> findByCityAndAgeGreaterThan(String city, int age);

    List<T> findByCityOrAge(String city, Integer age);

    List<T> findByCityNot(String city);

    List<T> findByAgeLessThan(int age);

    List<T> findByAgeLessThanEqual(int age);

    List<T> findByAgeGreaterThan(int age);

    List<T> findByAgeGreaterThanEqual(int age);

    List<T> findByAgeBetween(int from, int to);

    List<T> findByCityIn(Collection<String> cities);

    List<T> findByCityNotIn(Collection<String> cities);

    List<T> findByLastnameIsNull();

    List<T> findByLastnameIsNotNull();

    List<T> findByFirstnameLike(String pattern);

    List<T> findByCityLike(String pattern);

    List<T> findByFirstnameNotLike(String pattern);

    List<T> findByFirstnameStartingWith(String prefix);

    List<T> findByCityStartingWith(String prefix);

    List<T> findByFirstnameEndingWith(String suffix);

    List<T> findByFirstnameContaining(String infix);

    List<T> findByTagsContaining(String tag);

    List<T> findByCityIgnoreCase(String city);

    List<T> findByFirstnameStartingWithIgnoreCase(String prefix);

    List<T> findByActiveTrue();

    List<T> findByActiveFalse();

    List<T> findByStatus(PersonView.Status status);

    List<T> findByAddressCity(String city);

    List<T> findByCityOrderByAgeDescFirstnameAsc(String city);

    List<T> findTop3ByCityOrderByAgeAscIdAsc(String city);

    Optional<T> findFirstByOrderByAgeDescIdAsc();

    List<T> findByCity(String city, Sort sort);

    Page<T> findByCity(String city, Pageable pageable);

    Slice<T> findByAgeGreaterThan(int age, Pageable pageable);

    Stream<T> streamByCity(String city);

    long countByCity(String city);

    boolean existsByCity(String city);

    long deleteByCity(String city);

    List<T> removeByAge(Integer age);
}
