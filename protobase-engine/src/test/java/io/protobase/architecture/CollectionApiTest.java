package io.protobase.architecture;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;

/**
 * What an application sees in {@code io.protobase.collection}: the collections, the record type and
 * their builders, and nothing of the engine's plumbing, which lives in
 * {@code io.protobase.collection.internal} and is not API.
 */
class CollectionApiTest {

    /** The public types of the package; a new one is a decision about the API, not a side effect. */
    private static final String PUBLIC_TYPES = "io\\.protobase\\.collection\\."
            + "(ProtoCollection|Dictionary|HashDictionary|ProtoList|ProtoSet|CountedSet|RepeatedKeysDictionary"
            + "|DbObject)"
            + "(\\$.*)?";

    private static JavaClasses engine;

    @BeforeAll
    static void importEngine() {
        engine = EngineClasses.main();
    }

    @Test
    void theCollectionPackageMakesPublicOnlyTheCollectionsAndTheRecordType() {
        classes().that().resideInAPackage("io.protobase.collection").and().arePublic()
                .should().haveNameMatching(PUBLIC_TYPES)
                .because("engine plumbing belongs in io.protobase.collection.internal, out of the users' API")
                .check(engine);
    }

    @Test
    void noPublicMemberOfTheCollectionsShowsAnInternalType() {
        members().that().areDeclaredInClassesThat().resideInAPackage("io.protobase.collection")
                .and().areDeclaredInClassesThat().arePublic()
                .and().haveModifier(JavaModifier.PUBLIC)
                .should(notShowAnInternalType())
                .because("a type in a public signature is API; io.protobase.collection.internal is not")
                .check(engine);
    }

    private static ArchCondition<JavaMember> notShowAnInternalType() {
        return new ArchCondition<>("not have an internal type in their signature") {
            @Override
            public void check(JavaMember member, ConditionEvents events) {
                List<JavaClass> shown = new ArrayList<>();
                if (member instanceof JavaCodeUnit code) {
                    shown.add(code.getRawReturnType());
                    shown.addAll(code.getRawParameterTypes());
                } else if (member instanceof JavaField field) {
                    shown.add(field.getRawType());
                }
                for (JavaClass type : shown) {
                    if (type.getPackageName().contains(".internal")) {
                        events.add(SimpleConditionEvent.violated(member,
                                member.getFullName() + " shows " + type.getName()));
                    }
                }
            }
        };
    }
}
