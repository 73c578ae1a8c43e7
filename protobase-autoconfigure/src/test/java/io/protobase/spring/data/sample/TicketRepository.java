package io.protobase.spring.data.sample;

import io.protobase.spring.data.repository.ProtoBaseRepository;

import java.util.UUID;

public interface TicketRepository extends ProtoBaseRepository<Ticket, UUID> {
}
