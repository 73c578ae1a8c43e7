package io.protobase.benchmarks.repository;

import io.protobase.spring.data.annotation.Indexed;
import io.protobase.spring.data.annotation.Root;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Index;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;

/**
 * The one entity class both stores map: JPA through its {@code jakarta.persistence} annotations,
 * ProtoBase through Spring Data's mapping (the {@code id} property, {@code @Indexed}, {@code @Root}).
 * {@code city} is indexed on both sides, {@code segment} on neither; each has 100 values, so an
 * equality query selects 1%.
 */
@Entity
@Table(name = "customer", indexes = @Index(name = "customer_city", columnList = "city"))
@Root("customers")
public class BenchCustomer {

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "customer_seq")
    @SequenceGenerator(name = "customer_seq", allocationSize = 1000)
    private Long id;

    private String name;

    @Indexed
    private String city;

    private String segment;

    private int age;

    protected BenchCustomer() {
    }

    public BenchCustomer(String name, String city, String segment, int age) {
        this.name = name;
        this.city = city;
        this.segment = segment;
        this.age = age;
    }

    public Long getId() {
        return id;
    }

    public void setId(Long id) {
        this.id = id;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getCity() {
        return city;
    }

    public void setCity(String city) {
        this.city = city;
    }

    public String getSegment() {
        return segment;
    }

    public void setSegment(String segment) {
        this.segment = segment;
    }

    public int getAge() {
        return age;
    }

    public void setAge(int age) {
        this.age = age;
    }
}
