// The real, independently written VNC clients (and what they need to run headless) that the
// end-to-end tests drive. One list, used by test.mjs to check and install them.

/** Debian packages the end-to-end tests need. */
export const APT_PACKAGES = [
  'gvncviewer', // gvnccapture: gtk-vnc's screenshot client
  'tigervnc-viewer', // xtigervncviewer: TigerVNC's viewer
  'xvfb', // a headless X server for the viewer
  'xdotool', // types into the viewer window
  'x11-utils', // xwininfo/xdpyinfo
  'x11-apps', // xwd: screenshots of the viewer
  'imagemagick', // convert: xwd -> png
  'libvncserver-dev', // libvncclient, for the C test client built in the tests
  'chromium', // headless browser for the web console (noVNC) tests, driven by playwright-core
  'gcc',
  'libc6-dev',
  'openssl', // makes the throwaway certificate of the TLS tests
  'python3', // reads the X cursor image (XFixes, via ctypes) in the TigerVNC cursor test
];

/** Commands whose presence proves the packages are installed. */
export const REQUIRED_COMMANDS = ['gvnccapture', 'xtigervncviewer', 'Xvfb', 'xdotool', 'xwd', 'convert', 'gcc', 'chromium', 'openssl', 'python3'];

/** Headers whose presence proves the -dev packages are installed. */
export const REQUIRED_FILES = ['/usr/include/rfb/rfbclient.h'];

/** The exact command a user runs to install everything. */
export const APT_INSTALL_LINE = `sudo apt-get install -y --no-install-recommends ${APT_PACKAGES.join(' ')}`;
