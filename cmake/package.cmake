# package.cmake: `make package` (cpack -G DEB): one Debian package with spated, spate, the
# client library with its headers and CMake/pkg-config files, the man pages, and, only in the
# package (component "system", not installed by make install), the systemd unit, the default
# /etc/spate/spated.conf and the maintainer scripts of packaging/debian/ that create the spate
# user and /var/lib/spate.
install(FILES packaging/spated.service DESTINATION /lib/systemd/system
        COMPONENT system EXCLUDE_FROM_ALL)
install(FILES packaging/spated.conf DESTINATION /etc/spate
        COMPONENT system EXCLUDE_FROM_ALL)
install(FILES LICENSE DESTINATION /usr/share/doc/spate RENAME copyright
        COMPONENT system EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME spate)
set(CPACK_PACKAGE_VENDOR "Spate")
set(CPACK_PACKAGE_CONTACT "Spate developers <spate@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Kinesis Data Streams compatible server with durable per-shard logs")
set(CPACK_PACKAGE_DESCRIPTION
    "spated speaks the Amazon Kinesis Data Streams API (boto3, the AWS CLI and the AWS SDKs
work against it unchanged), keeps records in durable per-shard logs, reshards, and pushes
records to subscribers. The package also has the spate command-line tool and the C++ client
library with its headers.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
# Everything in one .deb: the default component and "system".
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified system)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/spate")
# Depends from the libraries the binaries link (dpkg-shlibdeps), and the ldconfig trigger and
# shlibs file for libspate-client.so.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
