package io.protobase.spring.test.autoconfigure.app;

import org.springframework.stereotype.Service;

/** A service of the sample application, which a data slice leaves out. */
@Service
public class NoteService {
}
