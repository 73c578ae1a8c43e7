package io.protobase.spring.data.sample;

import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.Version;

/** A plain mutable class with a generated sequence id and an optimistic-locking version. */
public class Account {

    @Id
    private Long id;

    @Version
    private Long version;

    private String owner;

    private long balance;

    public Account() {
    }

    public Account(String owner, long balance) {
        this.owner = owner;
        this.balance = balance;
    }

    public Long getId() {
        return id;
    }

    public void setId(Long id) {
        this.id = id;
    }

    public Long getVersion() {
        return version;
    }

    public void setVersion(Long version) {
        this.version = version;
    }

    public String getOwner() {
        return owner;
    }

    public void setOwner(String owner) {
        this.owner = owner;
    }

    public long getBalance() {
        return balance;
    }

    public void setBalance(long balance) {
        this.balance = balance;
    }
}
