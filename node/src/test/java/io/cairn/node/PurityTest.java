package io.cairn.node;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rule the simulator rests on, checked on the compiled classes: the consensus core and the
 * store touch no threads, sockets, clocks or files, and the replica reads time only through its
 * {@code ReplicaClock} and reaches the disk only through its {@code ReplicaStorage}. What the
 * simulator runs is then what a member runs, and a wall-clock step on a member's machine cannot
 * reach its timing (a member's clock, {@code LoopClock}, is monotonic; the simulator's pause fault
 * is the forward jump it can see).
 */
class PurityTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.cairn.node");
    }

    @Test
    void theCoreAndTheStoreArePure() {
        ArchRule rule = noClasses().that().resideInAnyPackage("io.cairn.node.paxos..", "io.cairn.node.store..", "io.cairn.node.acl..")
                .should().dependOnClassesThat().resideInAnyPackage("java.net..", "java.nio.file..", "java.nio.channels..",
                        "java.util.concurrent..", "io.netty..", "java.time..")
                .orShould().dependOnClassesThat().belongToAnyOf(Thread.class, java.io.File.class,
                        java.io.FileInputStream.class, java.io.FileOutputStream.class, java.io.RandomAccessFile.class)
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .because("the core and the store run unchanged in the deterministic simulator");
        rule.check(classes);
    }

    @Test
    void theReplicaReadsTimeOnlyFromItsClockAndTheDiskOnlyThroughItsStorage() {
        ArchRule rule = noClasses().that().resideInAPackage("io.cairn.node.replica..")
                .and().doNotHaveFullyQualifiedName("io.cairn.node.replica.FileStorage")
                .and().doNotHaveFullyQualifiedName("io.cairn.node.replica.LoopClock")
                .should().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(Instant.class, "now")
                .orShould().dependOnClassesThat().belongToAnyOf(Clock.class, Thread.class, Files.class, FileChannel.class,
                        java.io.FileOutputStream.class, java.io.RandomAccessFile.class)
                .because("the simulator drives the member's own replica through ReplicaClock and ReplicaStorage");
        rule.check(classes);
    }
}
