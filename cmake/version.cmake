# version.cmake: writes common/version.h from src/common/version.h.in at every build: the
# version from project() (passed in as VERSION) and the commit the source tree is at (git, or
# "unknown" outside a git checkout). configure_file rewrites the header only when it changed,
# so only what includes it is rebuilt, and only after a new commit.
# cmake -DSOURCE_DIR=... -DVERSION=... -DINPUT=version.h.in -DOUTPUT=version.h -P version.cmake
set(COMMIT unknown)
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE failed ERROR_QUIET)
  if(NOT failed AND head)
    set(COMMIT ${head})
  endif()
endif()
set(PROJECT_VERSION ${VERSION})
configure_file(${INPUT} ${OUTPUT} @ONLY)
