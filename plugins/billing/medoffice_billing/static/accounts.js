// Patient accounts: a [data-print] button prints the page (the print stylesheet keeps only the receipt).
(function () {
  if (window.medofficeAccountsLoaded) return;
  window.medofficeAccountsLoaded = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
