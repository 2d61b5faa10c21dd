package io.cairn.node.store;

/** Doozer's revision constants, kept so Doozer clients read Cairn's answers the same way. */
public final class Revs {
    /** The rev of a file that does not exist; as an expected rev: create only. */
    public static final long MISSING = 0;
    /** As an expected rev: write whatever the file's rev is. */
    public static final long CLOBBER = -1;
    /** The rev a directory reports. */
    public static final long DIR = -2;

    private Revs() {}
}
