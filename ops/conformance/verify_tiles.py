#!/usr/bin/env python3
"""An independent check of a Placeshare audit log served as C2SP tlog-tiles.

Written from RFC 9162 (section 2.1) and C2SP tlog-tiles, not from the gateway's code: it fetches
the checkpoint and every hash tile of its tree, recomputes the Merkle tree head from the leaf
hashes, checks every higher-level tile against the leaves, checks an inclusion proof of every leaf
against the checkpoint's root, and checks the gateway's own inclusion and consistency proofs with
the RFC's verification algorithms. Given an IG lead's token, it also fetches the entry bundles and
checks that each entry hashes to its leaf.

Only the Python standard library. Exit status 0 when everything verifies, 1 with the first problem.

  verify_tiles.py BASE_URL            e.g. https://localhost:8443
  env PLACESHARE_TOKEN                bearer token of any client (tiles, proofs, checkpoint)
  env PLACESHARE_IG_TOKEN (optional)  bearer token of an IG lead (entry bundles)
  --cacert FILE                       trust this CA for https
  --size N                            check the tree of this size, not the checkpoint's (N <= it)
  verify_tiles.py --vectors DIR       check this verifier against transparency-dev/merkle's
                                      inclusion/ and consistency/ vectors first, then stop
"""

import argparse
import base64
import hashlib
import json
import os
import random
import ssl
import struct
import sys
import urllib.error
import urllib.request

HASH = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT


class Problem(Exception):
    pass


# --- RFC 9162 section 2.1.1: hashes and the Merkle Tree Hash ------------------------------------


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n):
    """The largest power of two k with k < n (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def mth(leaves, lo, hi):
    """MTH(D[lo:hi]) over leaf hashes, by the RFC's recursive definition."""
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[lo]
    k = largest_power_of_two_below(n)
    return node_hash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi))


class Tree:
    """Every complete subtree's hash, level by level, so PATH and MTH of ranges are cheap."""

    def __init__(self, leaves):
        self.levels = [leaves]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    def range_hash(self, lo, hi):
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            return self.levels[n.bit_length() - 1][lo // n]
        k = largest_power_of_two_below(n)
        return node_hash(self.range_hash(lo, lo + k), self.range_hash(lo + k, hi))

    def path(self, m, lo, hi):
        """PATH(m, D[lo:hi]) of RFC 9162 section 2.1.3.1."""
        n = hi - lo
        if n == 1:
            return []
        k = largest_power_of_two_below(n)
        if m < k:
            return self.path(m, lo, lo + k) + [self.range_hash(lo + k, hi)]
        return self.path(m - k, lo + k, hi) + [self.range_hash(lo, lo + k)]


# --- RFC 9162 sections 2.1.3.2 and 2.1.4.2: verification ----------------------------------------


def check_hashes(*hashes):
    for h in hashes:
        if not isinstance(h, bytes) or len(h) != HASH:
            raise Problem("a hash is not %d bytes" % HASH)


def verify_inclusion(index, size, leaf, proof, root):
    check_hashes(leaf, root, *proof)
    if index >= size:
        raise Problem("index %d is beyond a tree of %d" % (index, size))
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Problem("inclusion proof of %d in %d is too long" % (index, size))
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise Problem("inclusion proof of leaf %d in tree %d does not verify" % (index, size))


def verify_consistency(size1, size2, proof, root1, root2):
    if size1 == 0:
        raise Problem("consistency with the empty tree proves nothing")
    if size1 == size2:
        if proof or root1 != root2:
            raise Problem("equal sizes need an empty proof and equal roots")
        return
    check_hashes(root1, root2, *proof)
    if size1 == 0 or size1 > size2 or not proof:
        raise Problem("no consistency proof can link %d to %d" % (size1, size2))
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Problem("consistency proof %d -> %d is too long" % (size1, size2))
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != root1 or sr != root2:
        raise Problem("consistency proof %d -> %d does not verify" % (size1, size2))


# --- C2SP tlog-tiles paths ----------------------------------------------------------------------


def tile_index(n):
    """1234067 -> x001/x234/067."""
    parts = ["%03d" % (n % 1000)]
    n //= 1000
    while n > 0:
        parts.insert(0, "x%03d" % (n % 1000))
        n //= 1000
    return "/".join(parts)


def tile_paths(level, size):
    """(path, first entry, width) of every tile of a level for a tree of this size."""
    entries = size >> (TILE_HEIGHT * level) if level >= 0 else size
    out = []
    for n in range(entries // TILE_WIDTH):
        out.append(("%s/%s" % (level_name(level), tile_index(n)), n * TILE_WIDTH, TILE_WIDTH))
    rest = entries % TILE_WIDTH
    if rest:
        n = entries // TILE_WIDTH
        out.append(
            ("%s/%s.p/%d" % (level_name(level), tile_index(n), rest), n * TILE_WIDTH, rest)
        )
    return out


def level_name(level):
    return "entries" if level < 0 else str(level)


# --- fetching -----------------------------------------------------------------------------------


class Log:
    def __init__(self, base, token, context):
        self.base = base.rstrip("/")
        self.token = token
        self.context = context

    def get(self, path, token=None):
        request = urllib.request.Request(self.base + path)
        request.add_header("Authorization", "Bearer " + (token or self.token))
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                return response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as e:
            raise Problem("GET %s: HTTP %d" % (path, e.code))

    def checkpoint(self):
        kind, body = self.get("/audit/checkpoint")
        if kind.startswith("text/plain"):
            # A C2SP tlog-checkpoint note: origin, size, base64 root, then extensions and signatures.
            lines = body.decode("utf-8").split("\n")
            return int(lines[1]), base64.b64decode(lines[2], validate=True)
        c = json.loads(body)
        return int(c["size"]), base64.b64decode(c["root"], validate=True)


def split(tile, width, what):
    if len(tile) != width * HASH:
        raise Problem("%s holds %d bytes, not %d hashes" % (what, len(tile), width))
    return [tile[i : i + HASH] for i in range(0, len(tile), HASH)]


def entries_of(bundle, width, what):
    out, at = [], 0
    while at < len(bundle):
        if at + 2 > len(bundle):
            raise Problem("%s ends inside a length" % what)
        (n,) = struct.unpack(">H", bundle[at : at + 2])
        out.append(bundle[at + 2 : at + 2 + n])
        at += 2 + n
    if at != len(bundle) or len(out) != width:
        raise Problem("%s holds %d entries, not %d" % (what, len(out), width))
    return out


def check_vectors(folder):
    """The verifiers against every happy path and mutation of the transparency-dev vectors."""

    def b64(x):
        return base64.b64decode(x) if x else None

    checked = 0
    for kind in ("inclusion", "consistency"):
        for directory, _, files in sorted(os.walk(os.path.join(folder, kind))):
            for name in sorted(f for f in files if f.endswith(".json")):
                with open(os.path.join(directory, name)) as f:
                    v = json.load(f)
                proof = [b64(h) for h in (v["proof"] or [])]
                try:
                    if kind == "inclusion":
                        verify_inclusion(
                            v["leafIdx"], v["treeSize"], b64(v["leafHash"]), proof, b64(v["root"])
                        )
                    else:
                        verify_consistency(
                            v["size1"], v["size2"], proof, b64(v["root1"]), b64(v["root2"])
                        )
                    verified = True
                except Problem:
                    verified = False
                if verified == v["wantErr"]:
                    raise Problem("vector %s/%s: verified=%s" % (directory, name, verified))
                checked += 1
    if checked == 0:
        raise Problem("no vectors in " + folder)
    print("vectors: %d checked" % checked)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--vectors":
        try:
            check_vectors(sys.argv[2])
        except Problem as e:
            print("NOT VERIFIED: %s" % e)
            return 1
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("base")
    parser.add_argument("--cacert")
    parser.add_argument("--size", type=int)
    parser.add_argument("--proofs", type=int, default=20, help="gateway proofs to check (random)")
    args = parser.parse_args()
    token = os.environ.get("PLACESHARE_TOKEN")
    if not token:
        print("set PLACESHARE_TOKEN", file=sys.stderr)
        return 2
    context = ssl.create_default_context(cafile=args.cacert) if args.cacert else None
    log = Log(args.base, token, context)
    try:
        size, root = log.checkpoint()
        if args.size is not None:
            if not 0 < args.size <= size:
                raise Problem("--size must be 1 to the checkpoint's %d" % size)
            size, root = args.size, None
        leaves = []
        for path, first, width in tile_paths(0, size):
            leaves += split(log.get("/audit/tile/" + path)[1], width, "tile " + path)
        if len(leaves) != size:
            raise Problem("level-0 tiles hold %d leaves, not %d" % (len(leaves), size))
        computed = mth(leaves, 0, size)
        if root is not None and computed != root:
            raise Problem("the tiles' tree head is not the checkpoint's root")
        root = computed
        tree = Tree(leaves)
        # Each level-L tile entry is the hash of the complete subtree of 256^L leaves below it.
        level = 1
        while size >> (TILE_HEIGHT * level) > 0:
            span = 1 << (TILE_HEIGHT * level)
            for path, first, width in tile_paths(level, size):
                got = split(log.get("/audit/tile/" + path)[1], width, "tile " + path)
                for i, h in enumerate(got):
                    lo = (first + i) * span
                    if h != tree.range_hash(lo, lo + span):
                        raise Problem("tile %s entry %d is not the subtree of its leaves" % (path, i))
            level += 1
        for m in range(size):
            verify_inclusion(m, size, leaves[m], tree.path(m, 0, size), root)
        ig = os.environ.get("PLACESHARE_IG_TOKEN")
        if ig:
            for path, first, width in tile_paths(-1, size):
                bundle = log.get("/audit/tile/" + path, ig)[1]
                for i, entry in enumerate(entries_of(bundle, width, "bundle " + path)):
                    if leaf_hash(entry) != leaves[first + i]:
                        raise Problem("entry %d does not hash to its leaf" % (first + i))
        rng = random.Random(9162)
        for _ in range(args.proofs):
            m = rng.randrange(size)
            p = json.loads(log.get("/audit/proof/inclusion?index=%d&size=%d" % (m, size))[1])
            proof = [base64.b64decode(h) for h in p["proof"]]
            verify_inclusion(m, size, leaves[m], proof, root)
            old = rng.randrange(1, size + 1)
            c = json.loads(log.get("/audit/proof/consistency?from=%d&to=%d" % (old, size))[1])
            proof = [base64.b64decode(h) for h in c["proof"]]
            verify_consistency(old, size, proof, mth(leaves, 0, old), root)
    except Problem as e:
        print("NOT VERIFIED: %s" % e)
        return 1
    print(
        "verified: %d leaves, root %s, every leaf included%s, %d gateway proofs of each kind"
        % (size, base64.b64encode(root).decode(), ", every entry hashed" if ig else "", args.proofs)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
