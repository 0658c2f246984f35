"""Prints the X server's current cursor image (XFixesGetCursorImage) as JSON.

Used by the end-to-end tests to see the pointer a real viewer (TigerVNC) installed from our
Cursor / Cursor With Alpha pseudo-rects. Only libX11 and libXfixes are needed, and they come
with the viewer. Pixels are pre-multiplied ARGB, one 32-bit value each.
"""
import ctypes
import json


class CursorImage(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_short), ("y", ctypes.c_short),
        ("width", ctypes.c_ushort), ("height", ctypes.c_ushort),
        ("xhot", ctypes.c_ushort), ("yhot", ctypes.c_ushort),
        ("serial", ctypes.c_ulong),
        ("pixels", ctypes.POINTER(ctypes.c_ulong)),
        ("atom", ctypes.c_ulong), ("name", ctypes.c_char_p),
    ]


x11 = ctypes.CDLL("libX11.so.6")
xfixes = ctypes.CDLL("libXfixes.so.3")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
xfixes.XFixesGetCursorImage.restype = ctypes.POINTER(CursorImage)
xfixes.XFixesGetCursorImage.argtypes = [ctypes.c_void_p]

display = x11.XOpenDisplay(None)
if not display:
    raise SystemExit("cannot open the X display")
image = xfixes.XFixesGetCursorImage(display)
if not image:
    raise SystemExit("the X server returned no cursor image")
c = image.contents
print(json.dumps({
    "width": c.width, "height": c.height, "hotX": c.xhot, "hotY": c.yhot,
    "pixels": [c.pixels[i] & 0xFFFFFFFF for i in range(c.width * c.height)],
}))
