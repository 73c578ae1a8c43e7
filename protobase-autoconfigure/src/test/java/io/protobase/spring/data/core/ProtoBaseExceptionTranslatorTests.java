package io.protobase.spring.data.core;

import io.protobase.BackupException;
import io.protobase.ConflictException;
import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.DatabaseExistsException;
import io.protobase.DatabaseNotFoundException;
import io.protobase.FencedException;
import io.protobase.HistoryExpiredException;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.StorageClosedException;
import io.protobase.StorageLockedException;
import io.protobase.StorageUnavailableException;
import io.protobase.Transaction;
import io.protobase.TransactionStateException;
import io.protobase.StaleReferenceException;
import io.protobase.UnsupportedValueException;
import io.protobase.storage.AtomPointer;
import io.protobase.index.IndexException;
import io.protobase.query.QueryException;
import io.protobase.spring.transaction.ProtoBaseConflictFailureException;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataRetrievalFailureException;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.dao.InvalidDataAccessResourceUsageException;
import org.springframework.dao.NonTransientDataAccessResourceException;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.dao.TransientDataAccessResourceException;

import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The mapping table of engine exceptions to Spring's {@code DataAccessException}s. */
class ProtoBaseExceptionTranslatorTests {

    private final ProtoBaseExceptionTranslator translator = new ProtoBaseExceptionTranslator();
    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("test");

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void aCommitConflictBecomesARetryableOptimisticLockingFailureThatKeepsTheConflict() {
        Transaction first = db.newTransaction();
        Transaction second = db.newTransaction();
        first.getRootObject("accounts");
        second.getRootObject("accounts");
        first.setRootObject("accounts", "first");
        second.setRootObject("accounts", "second");
        first.commit();
        ConflictException conflict = catchThrowableOfType(ConflictException.class, second::commit);

        DataAccessException translated = translator.translateExceptionIfPossible(conflict);

        assertThat(translated).isInstanceOf(ProtoBaseConflictFailureException.class)
                .isInstanceOf(OptimisticLockingFailureException.class).isInstanceOf(ConcurrencyFailureException.class)
                .hasMessage(conflict.getMessage()).hasCause(conflict);
        assertThat(((ProtoBaseConflictFailureException) translated).getConflict()).isSameAs(conflict);
    }

    @Test
    void askingForTheCurrentTransactionWithoutOneIsAnApiMisuse() {
        TransactionStateException misuse = catchThrowableOfType(TransactionStateException.class,
                db::currentTransaction);

        assertThat(translator.translateExceptionIfPossible(misuse))
                .isInstanceOf(InvalidDataAccessApiUsageException.class)
                .hasMessage(misuse.getMessage()).hasCause(misuse);
    }

    static Stream<Arguments> mappingTable() {
        return Stream.of(
                Arguments.of(new StorageUnavailableException("bucket unreachable"),
                        TransientDataAccessResourceException.class),
                Arguments.of(new CorruptionException("bad checksum in atom 7"),
                        NonTransientDataAccessResourceException.class),
                Arguments.of(new StorageClosedException("storage closed"), DataAccessResourceFailureException.class),
                Arguments.of(new StorageLockedException("directory locked"), DataAccessResourceFailureException.class),
                Arguments.of(new FencedException("fenced by a newer writer"), DataAccessResourceFailureException.class),
                Arguments.of(new BackupException("backup target not empty"), DataAccessResourceFailureException.class),
                Arguments.of(new DatabaseNotFoundException("no database 'x'"),
                        InvalidDataAccessResourceUsageException.class),
                Arguments.of(new DatabaseExistsException("database 'x' exists"),
                        InvalidDataAccessResourceUsageException.class),
                Arguments.of(new HistoryExpiredException("test", Instant.EPOCH, Duration.ofHours(1), Instant.now()),
                        DataRetrievalFailureException.class),
                Arguments.of(new UnsupportedValueException("cannot store a Thread"),
                        InvalidDataAccessApiUsageException.class),
                Arguments.of(new QueryException("unknown field"), InvalidDataAccessApiUsageException.class),
                Arguments.of(new IndexException("duplicate index 'city'"), InvalidDataAccessApiUsageException.class),
                Arguments.of(new StaleReferenceException(new AtomPointer(1, 2).toString(),
                        new CorruptionException("segment 1 was released")), InvalidDataAccessApiUsageException.class));
    }

    @ParameterizedTest
    @MethodSource("mappingTable")
    void engineExceptionsBecomeTheMatchingDataAccessExceptionWithTheirMessageAndCause(ProtoBaseException engine,
            Class<? extends DataAccessException> expected) {
        assertThat(translator.translateExceptionIfPossible(engine)).isExactlyInstanceOf(expected)
                .hasMessage(engine.getMessage()).hasCause(engine);
    }

    @Test
    void exceptionsThatAreNotTheEnginesAreLeftToOtherTranslators() {
        assertThat(translator.translateExceptionIfPossible(new IllegalStateException("not ours"))).isNull();
        assertThat(translator.translateExceptionIfPossible(new ProtoBaseException("uncategorized"))).isNull();
    }
}
