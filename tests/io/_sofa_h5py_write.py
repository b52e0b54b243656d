"""Write SOFA files with h5py (not with the code under test), for the reader's tests.

Usage: /usr/bin/python3 _sofa_h5py_write.py KIND FILE.sofa
KIND:
  general-fir    GeneralFIR, M=3 sources on a circle (spherical SourcePosition,
                 listener at the origin facing +x), R=1 omni receiver, N=64,
                 sample rate 32000, an impulse at sample 5 + m in each IR and
                 Data.Delay M×R = [[10], [20], [30]].
  general-fir-e  GeneralFIR-E, M=2, R=2, E=3, N=16: IR[m, r, n, e] = 1 at
                 n = 1 + m + 2r + 4e (so each IR names its own indices),
                 source (the device) at the origin facing +x, listener at
                 cartesian (2, 0, 0) and (0, 2, 0) facing the source.
  wrong          SimpleFreeFieldHRTF (a convention the reader refuses).
"""
import sys

import h5py
import numpy as np


def attrs(f, convention, data_type):
    for k, v in {
        "Conventions": "SOFA",
        "Version": "2.1",
        "SOFAConventions": convention,
        "SOFAConventionsVersion": "1.0",
        "APIName": "h5py test writer",
        "APIVersion": h5py.__version__,
        "AuthorContact": "",
        "DataType": data_type,
        "License": "test data",
        "Organization": "",
        "RoomType": "free field",
        "DateCreated": "2021-03-04 05:06:07",
        "DateModified": "2021-03-04 05:06:07",
        "Title": "h5py-written " + convention,
    }.items():
        f.attrs[k] = np.bytes_(v)


def var(f, name, data, **a):
    d = f.create_dataset(name, data=np.asarray(data, dtype="<f8"))
    for k, v in a.items():
        d.attrs[k] = np.bytes_(v)


def general_fir(path):
    with h5py.File(path, "w") as f:
        attrs(f, "GeneralFIR", "FIR")
        M, N = 3, 64
        ir = np.zeros((M, 1, N))
        for m in range(M):
            ir[m, 0, 5 + m] = 0.5
        var(f, "Data.IR", ir)
        var(f, "Data.SamplingRate", [32000.0], Units="hertz")
        var(f, "Data.Delay", [[10.0], [20.0], [30.0]])
        var(f, "ListenerPosition", [[0, 0, 0]], Type="cartesian", Units="metre")
        var(f, "ListenerView", [[1, 0, 0]], Type="cartesian", Units="metre")
        var(f, "ReceiverPosition", [[[0], [0], [0]]], Type="cartesian", Units="metre")
        var(f, "SourcePosition", [[0, 0, 1.5], [90, 0, 1.5], [-45, 30, 1.5]],
            Type="spherical", Units="degree, degree, metre")
        var(f, "EmitterPosition", [[[0], [0], [0]]], Type="cartesian", Units="metre")


def general_fir_e(path):
    with h5py.File(path, "w") as f:
        attrs(f, "GeneralFIR-E", "FIR-E")
        M, R, N, E = 2, 2, 16, 3
        ir = np.zeros((M, R, N, E))
        for m in range(M):
            for r in range(R):
                for e in range(E):
                    ir[m, r, 1 + m + 2 * r + 4 * e, e] = 1.0
        var(f, "Data.IR", ir)
        var(f, "Data.SamplingRate", [48000.0], Units="hertz")
        var(f, "Data.Delay", np.zeros((1, R, E)))
        var(f, "ListenerPosition", [[2, 0, 0], [0, 2, 0]], Type="cartesian", Units="metre")
        var(f, "ListenerView", [[-1, 0, 0], [0, -1, 0]], Type="cartesian", Units="metre")
        var(f, "ReceiverPosition", [[[0], [0.09], [0]], [[0], [-0.09], [0]]],
            Type="cartesian", Units="metre")
        var(f, "SourcePosition", [[0, 0, 0]], Type="cartesian", Units="metre")
        var(f, "SourceView", [[1, 0, 0]], Type="cartesian", Units="metre")
        var(f, "SourceUp", [[0, 0, 1]])
        var(f, "EmitterPosition", np.zeros((E, 3, 1)), Type="cartesian", Units="metre")


def wrong(path):
    with h5py.File(path, "w") as f:
        attrs(f, "SimpleFreeFieldHRTF", "TF")
        var(f, "Data.Real", np.zeros((1, 2, 4)))


{"general-fir": general_fir, "general-fir-e": general_fir_e, "wrong": wrong}[sys.argv[1]](sys.argv[2])
