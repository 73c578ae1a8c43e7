package io.protobase.spring.test.autoconfigure.app;

import org.springframework.stereotype.Controller;

/** A web controller of the sample application, which a data slice leaves out. */
@Controller
public class NoteController {
}
