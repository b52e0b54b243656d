"""Describe a SOFA file as h5py (Debian python3-h5py) reads it, as JSON on stdout.

Usage: /usr/bin/python3 _sofa_h5py.py FILE.sofa [M R E ...]
Prints the global attributes, and per variable its shape, dtype, compression,
attributes and the names of the dimension scales attached to each axis; with
index triples (m r e), also those IRs as h5py reads them (Data.IR[m, r, :] or
Data.IR[m, r, :, e]).
"""
import json
import sys

import h5py


def text(value):
    if isinstance(value, bytes):
        return value.decode("ascii")
    if isinstance(value, h5py.Empty):
        return ""
    return str(value)


def main():
    path = sys.argv[1]
    picks = [int(v) for v in sys.argv[2:]]
    out = {"attributes": {}, "variables": {}, "irs": []}
    with h5py.File(path, "r") as f:
        for name, value in f.attrs.items():
            out["attributes"][name] = text(value)
        for name, obj in f.items():
            if not isinstance(obj, h5py.Dataset):
                continue
            dims = []
            for axis in obj.dims:
                dims.append([scale.name.lstrip("/") for scale in axis.values()])
            out["variables"][name] = {
                "shape": list(obj.shape),
                "dtype": obj.dtype.str,
                "compression": obj.compression,
                "isScale": obj.attrs.get("CLASS") == b"DIMENSION_SCALE",
                "attributes": {
                    k: text(v)
                    for k, v in obj.attrs.items()
                    if k not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS")
                },
                "dims": dims,
            }
        ir = f["Data.IR"]
        for i in range(0, len(picks), 3):
            m, r, e = picks[i : i + 3]
            data = ir[m, r, :, e] if ir.ndim == 4 else ir[m, r, :]
            out["irs"].append([float(v) for v in data])
    json.dump(out, sys.stdout)


main()
