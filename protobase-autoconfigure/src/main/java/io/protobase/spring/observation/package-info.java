/**
 * The starter's transactions as Micrometer observations ({@code protobase.transaction}): a
 * {@link io.protobase.spring.transaction.TransactionObserver} on an {@code ObservationRegistry}, and
 * the convention that names them and their keys. Depends on micrometer-observation and the starter's
 * transaction package.
 */
package io.protobase.spring.observation;
