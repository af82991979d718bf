// Progressive enhancement only: every page works without this file.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // Language pickers submit on change; the Apply button stays for people without JavaScript.
  for (const select of document.querySelectorAll('select[data-autosubmit]')) {
    select.addEventListener('change', function () {
      if (select.form) select.form.requestSubmit();
    });
  }
})();
