package io.protobase.codec;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Canonical instances of record attribute names and of their sorted arrays, shared by every record
 * decoded in this JVM. A store of a million records of one type holds three or four distinct names; without
 * this each decoded record would carry its own copies (an array and a string per attribute), which costs
 * memory and, worse, a cache miss per attribute on every lookup of a record read long ago.
 *
 * <p>Names are the JVM's interned strings, so the literal an application passes to a lookup is usually
 * the very instance a record holds, and an identity comparison finds it. Both tables are small, fixed and
 * lossy: a name or shape that collides with another is decoded afresh, which is only slower. Names are
 * published through plain array slots, which the Java memory model allows for strings (their fields are
 * final); shapes are arrays, whose elements a plain publication would not make visible, so they are published
 * with release and read with acquire semantics.
 */
public final class Names {

    private static final int MAX_NAME_BYTES = 64;
    private static final int MAX_SHAPE = 16;
    private static final int NAME_SLOTS = 4096;
    private static final int SHAPE_SLOTS = 1024;
    private static final String[] NAMES = new String[NAME_SLOTS];
    private static final AtomicReferenceArray<String[]> SHAPES = new AtomicReferenceArray<>(SHAPE_SLOTS);

    private Names() {
    }

    /**
     * The canonical name for the ASCII bytes {@code [start, start + n)} of {@code buf}, or {@code null} when
     * they are not ASCII or longer than names usually are (the caller decodes them itself).
     *
     * @param buf the encoded bytes
     * @param start where the name's bytes begin
     * @param n how many bytes the name has
     * @return the interned name, or {@code null}
     */
    public static String name(byte[] buf, int start, int n) {
        if (n > MAX_NAME_BYTES) {
            return null;
        }
        int h = 0;
        for (int i = start; i < start + n; i++) {
            byte b = buf[i];
            if (b < 0) {
                return null;
            }
            h = 31 * h + b;
        }
        // for ASCII, h is the String's own hash code, which the string caches
        int slot = spread(h) & (NAME_SLOTS - 1);
        String[] names = NAMES;
        String s = names[slot];
        if (s != null && s.hashCode() == h && s.length() == n && asciiEquals(s, buf, start)) {
            return s;
        }
        String name = new String(buf, start, n, StandardCharsets.ISO_8859_1).intern();
        names[slot] = name;
        return name;
    }

    /**
     * The canonical array equal to {@code names} (same length, the same string instances in the same
     * order); {@code names} itself becomes canonical when none is known. The caller must never change the
     * array it passed nor the one returned.
     *
     * @param names sorted attribute names, typically from {@link #name}
     * @return an array equal to {@code names}, shared with other records of the same attributes
     */
    public static String[] shape(String[] names) {
        if (names.length == 0 || names.length > MAX_SHAPE) {
            return names;
        }
        int h = names.length;
        for (String n : names) {
            h = 31 * h + n.hashCode();
        }
        int slot = spread(h) & (SHAPE_SLOTS - 1);
        String[] known = SHAPES.getAcquire(slot);
        if (known != null && sameInstances(known, names)) {
            return known;
        }
        SHAPES.setRelease(slot, names);
        return names;
    }

    private static boolean sameInstances(String[] a, String[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean asciiEquals(String s, byte[] buf, int start) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) != buf[start + i]) {
                return false;
            }
        }
        return true;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16) ^ (h >>> 8);
    }
}
