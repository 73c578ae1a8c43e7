package io.protobase.collection;

import io.protobase.collection.internal.AccessLog;
import io.protobase.collection.internal.Tracking;

import java.util.function.Consumer;

/**
 * {@link Tracking} on the lineage a tracked collection carries: the version it was read as and the
 * logical operations made since, replayed on a fresh version to rebase.
 */
final class LineageTracking implements Tracking {

    static final LineageTracking INSTANCE = new LineageTracking();

    private LineageTracking() {
    }

    @Override
    public Object track(Object value, AccessLog log) {
        if (value instanceof ProtoCollection c) {
            return c.withLineage(new Lineage(log, c.tree, null));
        }
        return value;
    }

    @Override
    public Object untracked(Object value) {
        if (value instanceof ProtoCollection c && c.lineage != null) {
            return c.withLineage(null);
        }
        return value;
    }

    @Override
    public Object storableAsRoot(Object value, String root) {
        if (value instanceof ProtoCollection c && c.lineage != null && c.lineage.log().root().equals(root)) {
            return value;
        }
        return Values.storable(value);
    }

    @Override
    public Dictionary.Builder rootsBuilder(Dictionary roots) {
        Dictionary.Builder b = roots.toBuilder();
        b.countsNesting = false;
        return b;
    }

    @Override
    public boolean same(Object a, Object b) {
        return Values.same(a, b);
    }

    @Override
    public boolean derivesFrom(Object staged, Object read, AccessLog log) {
        return staged instanceof ProtoCollection s && read instanceof ProtoCollection r
                && s.getClass() == r.getClass() && s.lineage != null && s.lineage.log() == log
                && s.lineage.base().sameAs(r.tree);
    }

    @Override
    public Change firstChange(Object snapshot, Object fresh, AccessLog log) {
        // handing out a collection root is a read of its existence and type
        if (!(snapshot instanceof ProtoCollection s) || !(fresh instanceof ProtoCollection f)
                || s.getClass() != f.getClass()) {
            return new Change(null, true);
        }
        if (log.isEmpty()) {
            return null;
        }
        if (log.readsAll()) {
            return new Change(null, true);
        }
        for (Object key : log.keys()) {
            if (!Values.same(s.validationLookup(key), f.validationLookup(key))) {
                return new Change(key, false);
            }
        }
        return null;
    }

    @Override
    public Object rebase(Object staged, Object fresh) {
        ProtoCollection s = (ProtoCollection) staged;
        ProtoCollection f = (ProtoCollection) fresh;
        ProtoCollection.Builder<?> b = f.withLineage(null).replayBuilder();
        for (Consumer<Object> op : s.lineage.oldestFirst()) {
            op.accept(b);
        }
        return b.build();
    }
}
